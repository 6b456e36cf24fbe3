import { createHmac, timingSafeEqual } from 'node:crypto';
import { defineConnector, InvalidRecordError, WebhookSignatureError, type ProfileFact, type ReadMessage } from '@portrait/connector-sdk';
import { z } from 'zod';

/** The signing secret the tests configure their pusher sources with. */
export const PUSH_SECRET = 'channel-signing-secret-0123456789';
/** The signature a pusher channel puts on `body` (header `x-pusher-hmac-sha256`). */
export const signPush = (body: string, secret = PUSH_SECRET) => createHmac('sha256', secret).update(body).digest('base64');

/**
 * A channel that pushes customers by webhook, as Shopify does: HMAC-SHA256 of the raw body, base64, in
 * a header; JSON or form bodies; a GET verification with a challenge and a token, as Meta does; and,
 * like Shopify's compliance topic `customers/redact`, a customer's erasure request (header
 * `x-pusher-topic`), whose reference is the delivery's id (`x-pusher-webhook-id`).
 */
export const pushConnector = defineConnector({
  manifest: {
    id: 'pusher',
    name: 'Pusher',
    version: '0.1.0',
    description: 'Customers pushed by signed webhooks, for tests.',
    kind: 'source',
    configSchema: z.object({ signingSecret: z.string().min(16), verifyToken: z.string().default('verify-me') }),
    secretFields: ['signingSecret'],
    streams: [{ name: 'customers', primaryKey: ['id'], syncModes: ['full'] }],
    defaultSchedule: '0 0 * * *',
    capabilities: { webhooks: true },
  },
  check: async () => ({ ok: true }),
  async *read(): AsyncGenerator<ReadMessage> {},
  async parseWebhook(request, config) {
    if (request.query?.['hub.mode'] === 'subscribe') {
      if (request.query['hub.verify_token'] !== config.verifyToken) throw new WebhookSignatureError('the verify token does not match');
      return { facts: [], response: { status: 200, body: request.query['hub.challenge'] } };
    }
    const expected = Buffer.from(createHmac('sha256', config.signingSecret).update(request.rawBody).digest('base64'));
    const given = Buffer.from(request.headers['x-pusher-hmac-sha256'] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookSignatureError('the x-pusher-hmac-sha256 header does not match the body');
    if (request.headers['x-pusher-topic'] === 'customers/redact') {
      const { customer } = (request.body ?? {}) as { customer?: { id?: unknown; email?: unknown } };
      if (typeof customer?.id !== 'string' || typeof customer.email !== 'string') throw new InvalidRecordError('a redact request needs customer.id and customer.email', request.body, 'webhook body');
      const identities = [{ type: 'email', value: customer.email }, { type: 'pusher_customer_id', value: customer.id }];
      return { facts: [], privacyRequests: [{ type: 'erase', identities, reference: request.headers['x-pusher-webhook-id'] }] };
    }
    const body = request.body as { id?: string; email?: string; first_name?: string } | undefined;
    if (!body?.id) throw new InvalidRecordError('a customer needs an id', body, 'webhook body');
    const fact = { source: 'pusher', externalId: body.id, kind: 'person', identities: body.email ? [{ type: 'email', value: body.email }] : [], traits: body.first_name ? { first_name: body.first_name } : {}, observedAt: '2026-03-01T00:00:00Z' };
    return { facts: [fact as unknown as ProfileFact] };
  },
});
