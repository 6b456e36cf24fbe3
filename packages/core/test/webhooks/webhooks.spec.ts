import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { WebhookDeliveryService } from '../../src/modules/webhooks/webhook-delivery.service.js';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER } from '../../src/modules/webhooks/webhook-signature.js';
import { WebhookException } from '../../src/modules/webhooks/webhook.exception.js';
import { WebhooksService } from '../../src/modules/webhooks/webhooks.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

interface Received {
  signature: string | undefined;
  body: string;
  json: { id: string; type: string; workspaceId: string; data: Record<string, unknown> };
}

/** A partner's endpoint: records what it receives and answers with `status`. */
class Receiver {
  received: Received[] = [];
  status = 200;
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.received.push({ signature: req.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()] as string | undefined, body, json: JSON.parse(body) });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const person = (externalId: string, email: string, source = 'shop'): ProfileFactInput => ({
  source,
  externalId,
  identities: [{ type: 'email', value: email }],
  traits: { nickname: externalId },
  observedAt: '2026-01-01T00:00:00.000Z',
});

describe('outgoing webhooks', () => {
  let core: TestCore;
  let webhooks: WebhooksService;
  let deliveries: WebhookDeliveryService;
  let ingest: IngestService;
  const receiver = new Receiver();
  let url: string;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'test-secret-key-of-at-least-32-characters!' } });
    webhooks = core.app.get(WebhooksService);
    deliveries = core.app.get(WebhookDeliveryService);
    ingest = core.app.get(IngestService);
    url = await receiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await core?.close();
  });
  beforeEach(() => {
    receiver.received = [];
    receiver.status = 200;
  });

  const rowsOf = (ws: string) =>
    core.db.dataSource.query(`SELECT event_type, status, attempts, last_error, next_attempt_at FROM webhook_deliveries WHERE workspace_id = $1 ORDER BY created_at`, [ws]);

  it('refuses an invalid subscription with field-level errors', async () => {
    const ws = await core.workspace();
    const error = await webhooks.create(ws, { url: 'ftp://x', events: ['profile.deleted'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookException);
    expect((error as WebhookException).details?.errors).toEqual([
      { field: 'url', message: 'must be an http:// or https:// URL' },
      { field: 'events.0', message: expect.stringContaining('must be one of segment.entered') },
    ]);
  });

  it('signs each delivery with the secret shown once, which is not stored in clear', async () => {
    const ws = await core.workspace();
    const subscription = await webhooks.create(ws, { url, events: ['profile.updated'] });
    expect(subscription.secret).toMatch(/^whsec_/);
    expect(await webhooks.list(ws)).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);
    const [row] = await core.db.dataSource.query(`SELECT t::text AS row FROM webhook_subscriptions t WHERE id = $1`, [subscription.id]);
    expect(row.row).not.toContain(subscription.secret);
    expect(row.row).not.toContain(subscription.secret.slice(6));

    const result = await ingest.ingest(ws, [person('ana', 'ana@x.io')]);
    expect(await deliveries.deliverDue()).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.json).toMatchObject({ type: 'profile.updated', workspaceId: ws, data: { profileId: result.change.profileIds[0] } });
    expect(verifyWebhookSignature(subscription.secret, got!.signature, got!.body)).toBe(true);
    expect(verifyWebhookSignature('whsec_wrong', got!.signature, got!.body)).toBe(false);
    expect(verifyWebhookSignature(subscription.secret, got!.signature, got!.body.replace('profile', 'PROFILE'))).toBe(false);
    expect(await rowsOf(ws)).toEqual([expect.objectContaining({ event_type: 'profile.updated', status: 'delivered', attempts: 1, last_error: null })]);
    expect(await deliveries.deliverDue()).toBe(0);
  });

  it('retries a failed delivery later with backoff, then gives up after 24 hours', async () => {
    const ws = await core.workspace();
    const subscription = await webhooks.create(ws, { url, events: ['profile.updated'] });
    await ingest.ingest(ws, [person('bo', 'bo@x.io')]);
    receiver.status = 500;
    await deliveries.deliverDue();
    let [row] = await rowsOf(ws);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 500' });
    expect(new Date(row.next_attempt_at).getTime()).toBeGreaterThan(Date.now() + 20_000);
    expect(await deliveries.deliverDue()).toBe(0); // not due yet

    await core.db.dataSource.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE workspace_id = $1`, [ws]);
    receiver.status = 204;
    await deliveries.deliverDue();
    [row] = await rowsOf(ws);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2 });
    // Both attempts carried the same event id, so the receiver can deduplicate.
    expect(new Set(receiver.received.map((r) => r.json.id)).size).toBe(1);

    await ingest.ingest(ws, [person('bo', 'bo@x.io', 'crm')]);
    await core.db.dataSource.query(`UPDATE webhook_deliveries SET created_at = now() - interval '25 hours' WHERE workspace_id = $1 AND status = 'pending'`, [ws]);
    receiver.status = 503;
    await deliveries.deliverDue();
    // The delivery log, newest event first (the failed one was dated back 25 hours).
    const log = await webhooks.deliveries(ws, subscription.id);
    expect(log.data.map((d) => [d.status, d.attempts, d.lastResponseStatus, d.lastError])).toEqual([
      ['delivered', 2, 204, null],
      ['failed', 1, 503, 'HTTP 503'],
    ]);
  });

  it('tells subscribers which profile a merged-away profile now lives in', async () => {
    const ws = await core.workspace();
    await webhooks.create(ws, { url, events: ['profile.merged'] });
    await ingest.ingest(ws, [person('a', 'a@x.io'), { ...person('b', 'b@x.io'), identities: [{ type: 'phone', value: '+14155550100' }] }]);
    const merge = await ingest.ingest(ws, [{ ...person('c', 'a@x.io', 'crm'), identities: [{ type: 'email', value: 'a@x.io' }, { type: 'phone', value: '+14155550100' }] }]);
    expect(merge.merged).toBe(1);
    await deliveries.deliverDue();
    expect(receiver.received.map((r) => r.json.data)).toEqual([{ profileId: merge.change.mergedAway[0], mergedInto: merge.change.profileIds[0] }]);
  });

  it('shares due deliveries between concurrent senders without sending one twice', async () => {
    const ws = await core.workspace();
    await webhooks.create(ws, { url, events: ['profile.updated'] });
    await ingest.ingest(ws, Array.from({ length: 30 }, (_, i) => person(`p${i}`, `p${i}@x.io`)));
    const attempted = await Promise.all([deliveries.deliverDue(20), deliveries.deliverDue(20), deliveries.deliverDue(20)]);
    expect(attempted.reduce((a, b) => a + b, 0)).toBe(30);
    expect(new Set(receiver.received.map((r) => r.json.id)).size).toBe(30);
    expect(receiver.received).toHaveLength(30);
  });

  it('sends segment.entered and segment.exited for each membership change, queued with the change itself', async () => {
    const ws = await core.workspace();
    await webhooks.create(ws, { url, events: ['segment.entered', 'segment.exited'] });
    const vip = await core.app.get(SegmentsService).create(ws, { name: 'VIP', key: 'vip', definition: { trait: 'vip', op: 'eq', value: true } });
    const first = await ingest.ingest(ws, [{ ...person('v', 'v@x.io'), traits: { vip: true } }, { ...person('w', 'w@x.io'), traits: { vip: false } }]);
    const [member] = (await core.app.get(SegmentsService).members(ws, vip.id)).data;
    expect(first.change.profileIds).toContain(member!.profileId);
    await ingest.ingest(ws, [{ ...person('v', 'v@x.io'), traits: { vip: false }, observedAt: '2026-02-01T00:00:00.000Z' }]);
    // A full recompute that changes nothing owes nobody anything.
    await core.app.get(SegmentMembershipService).recompute(ws, vip.id);
    await deliveries.deliverDue();
    // Deliveries go out concurrently: a receiver orders them by the time of the change.
    const received = [...receiver.received].sort((a, b) => String(a.json.data.at).localeCompare(String(b.json.data.at)));
    expect(received.map((r) => [r.json.type, r.json.data.segmentId, r.json.data.segmentKey, r.json.data.profileId])).toEqual([
      ['segment.entered', vip.id, 'vip', member!.profileId],
      ['segment.exited', vip.id, 'vip', member!.profileId],
    ]);
    const logged: { n: number }[] = await core.db.dataSource.query(`SELECT count(*)::int AS n FROM segment_membership_events WHERE workspace_id = $1`, [ws]);
    expect(logged[0]!.n).toBe(2);
    expect(new Set(receiver.received.map((r) => r.json.id)).size).toBe(2);
  });

  it('keeps workspaces apart and stops delivering to a deleted subscription', async () => {
    const a = await core.workspace();
    const b = await core.workspace();
    const subscription = await webhooks.create(a, { url, events: ['profile.updated'] });
    await ingest.ingest(b, [person('x', 'x@x.io')]);
    expect(await deliveries.deliverDue()).toBe(0);
    await expect(webhooks.get(b, subscription.id)).rejects.toMatchObject({ code: 'WEBHOOK_SUBSCRIPTION_NOT_FOUND' });

    await ingest.ingest(a, [person('y', 'y@x.io')]);
    await webhooks.delete(a, subscription.id);
    expect(await deliveries.deliverDue()).toBe(0);
    expect(await webhooks.list(a)).toEqual([]);
    expect(await rowsOf(a)).toEqual([expect.objectContaining({ status: 'failed', last_error: 'subscription deleted' })]);
  });
});
