/** What a partner app can subscribe to. */
export const WEBHOOK_EVENT_TYPES = ['segment.entered', 'segment.exited', 'profile.merged', 'profile.updated', 'persona.assigned'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One event as it is delivered: the body of the POST, signed. */
export interface WebhookEvent<Data = Record<string, unknown>> {
  id: string;
  type: WebhookEventType;
  workspaceId: string;
  createdAt: string;
  data: Data;
}
