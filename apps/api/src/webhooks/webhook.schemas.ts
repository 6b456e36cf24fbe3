import { WEBHOOK_EVENT_TYPES } from '@portrait/core';
import { z } from 'zod';
import { isoDateTime, pageCursor, pageLimit } from '@portrait/core/http';

export const createWebhookSubscriptionBody = z
  .object({
    url: z.url({ error: 'must be an absolute http(s) URL' }).describe('Where deliveries are POSTed'),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1, 'subscribe to at least one event').describe('Event types to receive'),
    description: z.string().max(500).optional(),
  })
  .meta({ id: 'CreateWebhookSubscription' });

export const webhookSubscriptionSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    description: z.string().nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'WebhookSubscription' });

export const createdWebhookSubscriptionSchema = webhookSubscriptionSchema
  .extend({
    secret: z
      .string()
      .describe(
        'The signing secret (`whsec_…`), shown only now. Each delivery carries `Portrait-Signature: t=<unix seconds>,v1=<hex>`, the HMAC-SHA256 of `<t>.<raw body>` under this secret.',
      ),
  })
  .meta({ id: 'CreatedWebhookSubscription' });

export const webhookSubscriptionListSchema = z.object({ data: z.array(webhookSubscriptionSchema) }).meta({ id: 'WebhookSubscriptionList' });

export const webhookDeliverySchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid().describe('Same on every attempt and every subscription: deduplicate on it'),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']).describe('Pending deliveries are retried with backoff for 24 hours'),
    attempts: z.number().int(),
    nextAttemptAt: isoDateTime.nullable(),
    lastAttemptAt: isoDateTime.nullable(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: isoDateTime.nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookDeliveryPageSchema = z
  .object({ data: z.array(webhookDeliverySchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'WebhookDeliveryPage' });

export const deliveriesQuery = z.object({ limit: pageLimit, cursor: pageCursor });
