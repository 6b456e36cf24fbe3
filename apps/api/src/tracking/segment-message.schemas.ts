import { z } from 'zod';
import { unstorableDateReason } from '@portrait/connector-sdk';
import { jsonValue } from '@portrait/core/http';

/**
 * The payloads of Segment's HTTP Tracking API (identify, track, page, screen, group, alias, batch),
 * so that Segment's libraries and existing integrations send to Portrait unchanged. Fields Portrait
 * does not use (integrations, writeKey, _metadata, …) are accepted and ignored.
 */

/** userId / anonymousId / groupId / previousId: Segment accepts strings and numbers. */
const id = z
  .union([z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters'), z.number()])
  .transform((value) => String(value));

/**
 * A timestamp as the libraries send it (ISO-8601); its form is checked when mapped, where the field can
 * be named; a date PostgreSQL cannot hold (outside the years 0001–9999) is refused here.
 */
const timestamp = z
  .string()
  .max(64)
  .superRefine((value, ctx) => {
    const date = new Date(value);
    const reason = Number.isNaN(date.getTime()) ? undefined : unstorableDateReason(date);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  })
  .describe('ISO-8601 date-time');

const jsonObject = z.record(z.string(), jsonValue);

const common = {
  userId: id.optional().describe('Your id of the user: becomes the user_id identifier'),
  anonymousId: id.optional().describe('A device or cookie id: becomes the anonymous_id identifier'),
  messageId: z.string().min(1).max(1024).optional().describe('Unique per message: replays with the same messageId are ignored'),
  timestamp: timestamp.optional().describe('When it happened (default: when received, corrected for clock skew with sentAt/originalTimestamp)'),
  originalTimestamp: timestamp.optional(),
  sentAt: timestamp.optional(),
  context: jsonObject.optional().describe('Context; `context.traits` are stored as traits of the user'),
  integrations: jsonObject.optional(),
};

export const identifyMessage = z.looseObject({ ...common, traits: jsonObject.optional().describe('Traits of the user: email becomes an identifier too') }).meta({ id: 'IdentifyMessage' });
export const trackMessage = z.looseObject({ ...common, event: z.string().min(1, 'must not be empty').max(200).describe('The event name, e.g. Order Completed (stored as order_completed)'), properties: jsonObject.optional() }).meta({ id: 'TrackMessage' });
export const pageMessage = z.looseObject({ ...common, name: z.string().max(512).optional(), category: z.string().max(512).optional(), properties: jsonObject.optional() }).meta({ id: 'PageMessage' });
export const screenMessage = z.looseObject({ ...common, name: z.string().max(512).optional(), category: z.string().max(512).optional(), properties: jsonObject.optional() }).meta({ id: 'ScreenMessage' });
export const groupMessage = z.looseObject({ ...common, groupId: id.describe('The account (company) id: becomes its group_id identifier'), traits: jsonObject.optional().describe('Traits of the account') }).meta({ id: 'GroupMessage' });
export const aliasMessage = z.looseObject({ ...common, previousId: id.describe('The earlier id (usually the anonymous id)'), userId: id.describe('The new user id') }).meta({ id: 'AliasMessage' });

export const batchMessage = z
  .discriminatedUnion('type', [
    identifyMessage.extend({ type: z.literal('identify') }),
    trackMessage.extend({ type: z.literal('track') }),
    pageMessage.extend({ type: z.literal('page') }),
    screenMessage.extend({ type: z.literal('screen') }),
    groupMessage.extend({ type: z.literal('group') }),
    aliasMessage.extend({ type: z.literal('alias') }),
  ])
  .meta({ id: 'BatchMessage' });

/** At most this many messages per batch. */
export const MAX_BATCH_MESSAGES = 2500;

export const batchRequest = z
  .looseObject({
    batch: z.array(batchMessage).min(1, 'must hold at least one message').max(MAX_BATCH_MESSAGES, `must hold at most ${MAX_BATCH_MESSAGES} messages`),
    context: jsonObject.optional().describe('Merged into each message\'s context'),
    integrations: jsonObject.optional(),
    sentAt: timestamp.optional(),
  })
  .meta({ id: 'BatchRequest' });

export const trackingResultSchema = z
  .object({
    success: z.literal(true),
    received: z.number().int().describe('Messages received, durably stored in the intake log'),
    processed: z
      .boolean()
      .describe('The messages are on the profile (asked for with the Portrait-Wait header); false: they are stored and will be, and messages the ingest refuses (e.g. every identifier was a blocked placeholder value) become intake dead letters'),
    warnings: z.array(z.string()).describe('Values left out of messages that were stored (e.g. an invalid phone)'),
  })
  .meta({ id: 'TrackingResult', description: 'What was stored' });

export type SegmentMessageType = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';
/** Any message, as received by its own route or inside a batch. */
export type SegmentMessage =
  | z.output<typeof identifyMessage>
  | z.output<typeof trackMessage>
  | z.output<typeof pageMessage>
  | z.output<typeof screenMessage>
  | z.output<typeof groupMessage>
  | z.output<typeof aliasMessage>;
export type BatchRequest = z.output<typeof batchRequest>;
