import { createServer, type Server } from 'node:http';
import { ApiKeysService, verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER, WebhookDeliveryService, WebhookOutboxService, WebhooksService } from '@portrait/core';
import { createTestAdmin, json, type TestAdmin, type TestSession } from './support/test-admin.js';

type ApiKey = { id: string; name: string; prefix: string; scopes: string[]; lastUsedAt: string | null; revokedAt: string | null };
type Subscription = { id: string; url: string; events: string[]; secret?: string };
type Delivery = { id: string; status: string; attempts: number; lastResponseStatus: number | null; eventType: string };
type Problem = { code: string; errors?: { field: string }[] };

/** A webhook receiver answering the statuses it is told to, keeping what it received. */
async function receiver(): Promise<{ url: string; answer: number[]; received: { body: string; signature: string | undefined }[]; server: Server }> {
  const state = { answer: [] as number[], received: [] as { body: string; signature: string | undefined }[] };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      state.received.push({ body, signature: request.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()] as string | undefined });
      response.writeHead(state.answer.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { ...state, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`, server };
}

describe('API keys and webhook subscriptions', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  /** Every body answered after a secret was shown: none may contain it. */
  const later: string[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
  });
  afterAll(() => admin?.close());

  /** A call whose answer is kept, to check later that no secret shown before is in it. */
  const call = async (...args: Parameters<TestAdmin['call']>) => {
    const response = await admin.call(...args);
    const text = await response.text();
    later.push(text);
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  describe('API keys', () => {
    const keys = () => `/admin/api/workspaces/${ws.slug}/api-keys`;

    it('creates a key with scopes (201), the key answered once; lists it with its last use; revokes it', async () => {
      const created = await admin.call(editor, keys(), { method: 'POST', body: { name: 'partner app', scopes: ['profiles:read', 'events:write'], rateLimitPerMinute: 120 } });
      expect(created.status).toBe(201);
      const { apiKey, key } = await json<{ apiKey: ApiKey; key: string }>(created);
      expect(apiKey).toMatchObject({ name: 'partner app', scopes: ['profiles:read', 'events:write'], lastUsedAt: null, revokedAt: null });
      expect(key.startsWith(apiKey.prefix)).toBe(true);
      secrets.push(key);

      const list = await call(viewer, keys());
      expect(list.status).toBe(200);
      expect(list.body.data).toEqual([expect.objectContaining({ id: apiKey.id, prefix: apiKey.prefix, lastUsedAt: null })]);
      // The public API accepts it: its last use shows.
      expect(await admin.app.get(ApiKeysService).authenticate(key)).toMatchObject({ keyId: apiKey.id, workspaceId: ws.id });
      const used = await call(viewer, keys());
      expect(Date.parse(used.body.data[0].lastUsedAt)).not.toBeNaN();

      const revoked = await call(editor, `${keys()}/${apiKey.id}`, { method: 'DELETE' });
      expect(revoked.status).toBe(200);
      expect(Date.parse(revoked.body.revokedAt)).not.toBeNaN();
      expect(await admin.app.get(ApiKeysService).authenticate(key)).toBeUndefined();
      const again = await call(editor, `${keys()}/${apiKey.id}`, { method: 'DELETE' });
      expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    });

    it('refuses bad input with 400 naming the field, and stores nothing', async () => {
      const before = (await admin.app.get(ApiKeysService).list(ws.id)).length;
      const cases: [unknown, string][] = [
        [{ scopes: [] }, 'scopes'],
        [{ scopes: ['profiles:read', 'everything'] }, 'scopes.1'],
        [{ name: '', scopes: ['profiles:read'] }, 'name'],
        [{ scopes: ['profiles:read'], rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
        [{ name: 'no scopes' }, 'scopes'],
      ];
      for (const [body, field] of cases) {
        const response = await admin.call(editor, keys(), { method: 'POST', body });
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expect((await json<Problem>(response)).errors!.map((e) => e.field)).toContain(field);
      }
      expect(await admin.app.get(ApiKeysService).list(ws.id)).toHaveLength(before);
    });

    it('refuses viewers (403) and callers without a session (401), changing nothing', async () => {
      const { apiKey } = await admin.app.get(ApiKeysService).create(ws.id, { name: 'kept', scopes: ['segments:read'] });
      const before = await admin.app.get(ApiKeysService).list(ws.id);
      for (const [credentials, status] of [
        [viewer, 403],
        [undefined, 401],
      ] as const) {
        expect((await admin.call(credentials, keys(), { method: 'POST', body: { scopes: ['profiles:read'] } })).status).toBe(status);
        expect((await admin.call(credentials, `${keys()}/${apiKey.id}`, { method: 'DELETE' })).status).toBe(status);
      }
      expect((await admin.call(undefined, keys())).status).toBe(401);
      expect(await admin.app.get(ApiKeysService).list(ws.id)).toEqual(before);
    });

    it('answers 404 for another workspace\'s key, which stays usable', async () => {
      const { apiKey, key } = await admin.app.get(ApiKeysService).create(other.id, { name: 'theirs', scopes: ['profiles:read'] });
      const response = await admin.call(editor, `${keys()}/${apiKey.id}`, { method: 'DELETE' });
      expect(response.status).toBe(404);
      expect(await json(response)).toMatchObject({ code: 'API_KEY_NOT_FOUND' });
      expect((await admin.call(editor, `${keys()}/not-a-uuid`, { method: 'DELETE' })).status).toBe(404);
      expect((await admin.call(editor, `/admin/api/workspaces/${other.slug}/api-keys`)).status).toBe(404);
      expect(await admin.app.get(ApiKeysService).authenticate(key)).toMatchObject({ keyId: apiKey.id });
      expect((await json<{ data: ApiKey[] }>(await admin.call(editor, keys()))).data.map((k) => k.id)).not.toContain(apiKey.id);
    });
  });

  describe('webhook subscriptions', () => {
    const hooks = () => `/admin/api/workspaces/${ws.slug}/webhooks`;
    let hook: Awaited<ReturnType<typeof receiver>>;
    let subscription: Subscription;

    beforeAll(async () => {
      hook = await receiver();
    });
    afterAll(() => new Promise<void>((resolve) => hook?.server.close(() => resolve())));

    it('subscribes (201) with the signing secret answered once, and lists subscriptions without it', async () => {
      const created = await admin.call(editor, hooks(), { method: 'POST', body: { url: hook.url, events: ['segment.entered', 'profile.merged'], description: 'CRM' } });
      expect(created.status).toBe(201);
      subscription = await json<Subscription>(created);
      expect(subscription).toMatchObject({ url: hook.url, events: ['segment.entered', 'profile.merged'] });
      expect(subscription.secret).toMatch(/^whsec_/);
      secrets.push(subscription.secret!);
      const list = await call(viewer, hooks());
      expect(list.body.data).toEqual([{ id: subscription.id, url: hook.url, events: ['segment.entered', 'profile.merged'], description: 'CRM', createdAt: expect.any(String) }]);
    });

    it('rotates the secret: the new one answered once, deliveries signed with it; lists deliveries with their status; redelivers one', async () => {
      const rotated = await admin.call(editor, `${hooks()}/${subscription.id}/rotate-secret`, { method: 'POST' });
      expect(rotated.status).toBe(200);
      const { secret } = await json<Subscription>(rotated);
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(subscription.secret);
      secrets.push(secret!);

      await admin.app.get(WebhookOutboxService).emit(ws.id, 'segment.entered', [{ segmentId: 's-1', profileId: 'p-1' }]);
      hook.answer.push(500);
      await admin.app.get(WebhookDeliveryService).deliverDue();
      const failed = await call(viewer, `${hooks()}/${subscription.id}/deliveries`);
      expect(failed.status).toBe(200);
      const [delivery] = failed.body.data as Delivery[];
      expect(delivery).toMatchObject({ eventType: 'segment.entered', status: 'pending', attempts: 1, lastResponseStatus: 500 });
      expect(verifyWebhookSignature(secret!, hook.received[0]!.signature, hook.received[0]!.body)).toBe(true);
      expect(verifyWebhookSignature(subscription.secret!, hook.received[0]!.signature, hook.received[0]!.body)).toBe(false);

      const redelivered = await call(editor, `${hooks()}/${subscription.id}/deliveries/${delivery!.id}/redeliver`, { method: 'POST' });
      expect(redelivered.status).toBe(200);
      expect(redelivered.body).toMatchObject({ id: delivery!.id, status: 'pending' });
      // Due at once: the worker's next pass sends it, though its backoff had not run out.
      expect(await admin.app.get(WebhookDeliveryService).deliverDue()).toBe(1);
      const delivered = await call(viewer, `${hooks()}/${subscription.id}/deliveries`);
      expect(delivered.body.data[0]).toMatchObject({ id: delivery!.id, status: 'delivered', attempts: 2, lastResponseStatus: 200 });
      expect(hook.received).toHaveLength(2);

      const badCursor = await admin.call(viewer, `${hooks()}/${subscription.id}/deliveries?limit=0`);
      expect(badCursor.status).toBe(400);
      expect(await json(badCursor)).toMatchObject({ errors: [{ field: 'limit' }] });
    });

    it('refuses bad input with 400 naming the field, and stores nothing', async () => {
      const cases: [unknown, string][] = [
        [{ url: 'not a url', events: ['segment.entered'] }, 'url'],
        [{ url: 'ftp://example.org/x', events: ['segment.entered'] }, 'url'],
        [{ url: 'https://example.org/x', events: [] }, 'events'],
        [{ url: 'https://example.org/x', events: ['segment.deleted'] }, 'events.0'],
      ];
      for (const [body, field] of cases) {
        const response = await admin.call(editor, hooks(), { method: 'POST', body });
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expect((await json<Problem>(response)).errors!.map((e) => e.field)).toContain(field);
      }
      expect(await admin.app.get(WebhooksService).list(ws.id)).toHaveLength(1);
    });

    it('refuses viewers (403) and callers without a session (401), changing nothing', async () => {
      const [delivery] = (await admin.app.get(WebhooksService).deliveries(ws.id, subscription.id)).data;
      const sealed = async () => (await admin.db.dataSource.query(`SELECT secret_sealed FROM webhook_subscriptions WHERE id = $1`, [subscription.id]))[0].secret_sealed as string;
      const before = await sealed();
      const mutations: [string, string, unknown?][] = [
        ['POST', hooks(), { url: hook.url, events: ['segment.exited'] }],
        ['POST', `${hooks()}/${subscription.id}/rotate-secret`],
        ['POST', `${hooks()}/${subscription.id}/deliveries/${delivery!.id}/redeliver`],
        ['DELETE', `${hooks()}/${subscription.id}`],
      ];
      for (const [credentials, status] of [
        [viewer, 403],
        [undefined, 401],
      ] as const) {
        for (const [method, path, body] of mutations) {
          const response = await admin.call(credentials, path, { method, body });
          expect({ method, path, status: response.status }).toEqual({ method, path, status });
        }
      }
      for (const path of [hooks(), `${hooks()}/${subscription.id}/deliveries`]) expect((await admin.call(undefined, path)).status).toBe(401);
      expect(await sealed()).toBe(before);
      expect(await admin.app.get(WebhooksService).list(ws.id)).toHaveLength(1);
      expect((await admin.app.get(WebhooksService).deliveries(ws.id, subscription.id)).data[0]).toMatchObject({ status: 'delivered' });
    });

    it('answers 404 for another workspace\'s subscription and deliveries, changing nothing', async () => {
      const theirs = await admin.app.get(WebhooksService).create(other.id, { url: hook.url, events: ['segment.entered'] });
      await admin.app.get(WebhookOutboxService).emit(other.id, 'segment.entered', [{ segmentId: 's-2', profileId: 'p-2' }]);
      const [theirDelivery] = (await admin.app.get(WebhooksService).deliveries(other.id, theirs.id)).data;
      const [ours] = (await admin.app.get(WebhooksService).deliveries(ws.id, subscription.id)).data;
      const sealed = (await admin.db.dataSource.query(`SELECT secret_sealed FROM webhook_subscriptions WHERE id = $1`, [theirs.id]))[0].secret_sealed as string;
      for (const [method, path] of [
        ['POST', `${hooks()}/${theirs.id}/rotate-secret`],
        ['GET', `${hooks()}/${theirs.id}/deliveries`],
        ['POST', `${hooks()}/${theirs.id}/deliveries/${theirDelivery!.id}/redeliver`],
        // Our subscription, their delivery.
        ['POST', `${hooks()}/${subscription.id}/deliveries/${theirDelivery!.id}/redeliver`],
        ['POST', `${hooks()}/${subscription.id}/deliveries/not-a-uuid/redeliver`],
        ['DELETE', `${hooks()}/${theirs.id}`],
        ['GET', `/admin/api/workspaces/${other.slug}/webhooks`],
      ] as const) {
        const response = await admin.call(editor, path, { method });
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      }
      expect((await admin.db.dataSource.query(`SELECT secret_sealed FROM webhook_subscriptions WHERE id = $1`, [theirs.id]))[0].secret_sealed).toBe(sealed);
      expect(await admin.app.get(WebhooksService).list(other.id)).toHaveLength(1);
      expect((await admin.app.get(WebhooksService).deliveries(other.id, theirs.id)).data[0]).toMatchObject({ id: theirDelivery!.id, status: 'pending', attempts: 0 });
      expect(ours).toMatchObject({ status: 'delivered' });
    });

    it('deletes a subscription (204): nothing more is sent to it, its delivery log stays readable', async () => {
      expect((await admin.call(editor, `${hooks()}/${subscription.id}`, { method: 'DELETE' })).status).toBe(204);
      expect((await call(viewer, hooks())).body.data).toEqual([]);
    });
  });

  it('shows each secret exactly once: never in a later answer, the audit log, nor the database in clear', async () => {
    const owner = await admin.session(ws.id, 'owner');
    const log = await call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?limit=200`);
    expect(log.body.data.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['api_key.create', 'api_key.revoke', 'webhook.create', 'webhook.secret.rotate', 'webhook.redeliver', 'webhook.delete']),
    );
    expect(secrets).toHaveLength(3);
    expect(later).not.toHaveLength(0);
    for (const secret of secrets) {
      for (const body of later) expect(body.includes(secret)).toBe(false);
    }
    const tables = ['api_keys', 'webhook_subscriptions', 'webhook_deliveries', 'audit_log'];
    for (const table of tables) {
      const rows: unknown[] = await admin.db.dataSource.query(`SELECT * FROM ${table}`);
      const dump = JSON.stringify(rows);
      for (const secret of secrets) expect(dump.includes(secret)).toBe(false);
    }
  });
});
