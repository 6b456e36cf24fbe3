import { PersonasService, ProfilesService, SegmentMembershipService, SegmentsService, SourcesService, WebhooksService } from '@portrait/core';
import { PUSH_SECRET, pushConnector, signPush } from './support/push-connector.js';
import { createTestApi, person, type TestApi } from './support/test-api.js';

/**
 * A key of workspace B never sees nor touches workspace A, on every route. The routes come from the
 * served OpenAPI document, so a route added later without a case here fails this test.
 */
describe('workspace isolation', () => {
  let api: TestApi;
  let wsA: string;
  let wsB: string;
  let keyB: string;
  let profileA: string;
  let subscriptionA: string;
  let segmentA: string;
  let personaA: string;
  let sourceB: string;

  beforeAll(async () => {
    api = await createTestApi({ connectors: [pushConnector] });
    wsA = await api.workspace();
    wsB = await api.workspace();
    keyB = await api.key(wsB, ['profiles:read', 'events:write', 'privacy:write', 'webhooks:manage', 'segments:read', 'personas:read']);
    await api.ingest(wsA, [
      person('a1', [['email', 'shared@example.org'], ['user_id', 'same-user']], { first_name: 'OnlyInA' }, {
        events: [{ type: 'order_placed', occurredAt: '2026-01-02T00:00:00Z', properties: { total: 10 }, dedupeKey: 'o-a1' }],
      }),
    ]);
    profileA = (await api.app.get(ProfilesService).findByIdentity(wsA, 'email', 'shared@example.org'))!.id;
    subscriptionA = (await api.app.get(WebhooksService).create(wsA, { url: 'http://127.0.0.1:9/a', events: ['profile.updated'] })).id;
    segmentA = (await api.app.get(SegmentsService).create(wsA, { name: 'A buyers', definition: { event: 'order_placed' } })).id;
    await api.app.get(SegmentMembershipService).recompute(wsA, segmentA);
    sourceB = (await api.app.get(SourcesService).create(wsB, { connectorId: 'pusher', name: 'B hooks', config: { signingSecret: PUSH_SECRET } })).id;
    personaA = (await api.app.get(PersonasService).create(wsA, { name: 'A buyer', rules: [{ condition: { event: 'order_placed' }, weight: 1 }] })).id;
  });
  afterAll(() => api?.close());

  /** What B tries on each route of A's data, and what it must get. */
  const cases: Record<string, () => Promise<void>> = {
    'GET /v1/profiles': async () => {
      const body = (await (await api.call(keyB, '/v1/profiles?limit=200')).json()) as { data: { id: string }[] };
      expect(body.data.map((p) => p.id)).not.toContain(profileA);
    },
    'GET /v1/profiles/lookup': async () => {
      expect((await api.call(keyB, '/v1/profiles/lookup?type=email&value=shared@example.org')).status).toBe(404);
    },
    'GET /v1/profiles/{id}': async () => {
      expect((await api.call(keyB, `/v1/profiles/${profileA}`)).status).toBe(404);
    },
    'GET /v1/profiles/{id}/events': async () => {
      expect((await api.call(keyB, `/v1/profiles/${profileA}/events`)).status).toBe(404);
    },
    'GET /v1/profiles/{id}/traits': async () => {
      expect((await api.call(keyB, `/v1/profiles/${profileA}/traits?verbose=true`)).status).toBe(404);
    },
    'GET /v1/profiles/{id}/export': async () => {
      expect((await api.call(keyB, `/v1/profiles/${profileA}/export`)).status).toBe(404);
    },
    'DELETE /v1/profiles/{id}': async () => {
      const before = await snapshotA();
      expect((await api.call(keyB, `/v1/profiles/${profileA}`, { method: 'DELETE' })).status).toBe(404);
      expect(await snapshotA()).toEqual(before);
    },
    'POST /v1/identify': async () => {
      await write('/v1/identify', { userId: 'same-user', traits: { email: 'shared@example.org', first_name: 'FromB' } });
    },
    'POST /v1/track': async () => {
      await write('/v1/track', { userId: 'same-user', event: 'Order Placed', messageId: 'o-a1' });
    },
    'POST /v1/page': async () => {
      await write('/v1/page', { userId: 'same-user', name: 'Home' });
    },
    'POST /v1/screen': async () => {
      await write('/v1/screen', { userId: 'same-user', name: 'Home' });
    },
    'POST /v1/group': async () => {
      await write('/v1/group', { userId: 'same-user', groupId: 'g' });
    },
    'POST /v1/alias': async () => {
      await write('/v1/alias', { userId: 'same-user', previousId: 'anon-b' });
    },
    'POST /v1/batch': async () => {
      await write('/v1/batch', { batch: [{ type: 'identify', userId: 'same-user', traits: { first_name: 'FromBatchB' } }] });
    },
    'GET /v1/webhook-subscriptions': async () => {
      const body = (await (await api.call(keyB, '/v1/webhook-subscriptions')).json()) as { data: { id: string }[] };
      expect(body.data.map((w) => w.id)).not.toContain(subscriptionA);
    },
    'POST /v1/webhook-subscriptions': async () => {
      const response = await api.call(keyB, '/v1/webhook-subscriptions', { method: 'POST', body: { url: 'http://127.0.0.1:9/b', events: ['profile.updated'] } });
      expect(response.status).toBe(201);
      expect((await api.app.get(WebhooksService).list(wsA)).map((w) => w.id)).toEqual([subscriptionA]);
    },
    'GET /v1/webhook-subscriptions/{id}': async () => {
      expect((await api.call(keyB, `/v1/webhook-subscriptions/${subscriptionA}`)).status).toBe(404);
    },
    'DELETE /v1/webhook-subscriptions/{id}': async () => {
      expect((await api.call(keyB, `/v1/webhook-subscriptions/${subscriptionA}`, { method: 'DELETE' })).status).toBe(404);
      expect((await api.app.get(WebhooksService).list(wsA)).map((w) => w.id)).toEqual([subscriptionA]);
    },
    'GET /v1/segments': async () => {
      const body = (await (await api.call(keyB, '/v1/segments?limit=200')).json()) as { data: { id: string }[] };
      expect(body.data.map((s) => s.id)).not.toContain(segmentA);
    },
    'GET /v1/segments/{id}': async () => {
      expect((await api.call(keyB, `/v1/segments/${segmentA}`)).status).toBe(404);
    },
    'GET /v1/segments/{id}/members': async () => {
      expect((await api.call(keyB, `/v1/segments/${segmentA}/members`)).status).toBe(404);
    },
    'GET /v1/profiles/{id}/segments': async () => {
      expect((await api.call(keyB, `/v1/profiles/${profileA}/segments`)).status).toBe(404);
      const filtered = await api.call(keyB, `/v1/profiles?segment=${segmentA}`);
      expect(filtered.status).toBe(400);
    },
    'GET /v1/personas': async () => {
      const body = (await (await api.call(keyB, '/v1/personas?limit=200')).json()) as { data: { id: string }[] };
      expect(body.data.map((p) => p.id)).not.toContain(personaA);
      expect(body.data).toEqual([]);
    },
    'GET /v1/personas/{id}': async () => {
      expect((await api.call(keyB, `/v1/personas/${personaA}`)).status).toBe(404);
      const filtered = await api.call(keyB, `/v1/profiles?persona=${personaA}`);
      expect(filtered.status).toBe(400);
      expect(await filtered.json()).toMatchObject({ code: 'INVALID_FILTER', errors: [{ field: 'persona' }] });
    },
    // Channel webhooks carry no key: the source named in the path decides the workspace.
    'POST /v1/webhooks/sources/{sourceId}': async () => {
      const before = await snapshotA();
      const body = JSON.stringify({ id: 'b-hook', email: 'hooked-in-b@example.org', first_name: 'HookedInB' });
      const response = await fetch(`${api.base}/v1/webhooks/sources/${sourceB}`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-pusher-hmac-sha256': signPush(body) } });
      expect(response.status).toBe(200);
      expect(await snapshotA()).toEqual(before);
      expect((await api.app.get(ProfilesService).findByIdentity(wsB, 'email', 'hooked-in-b@example.org'))?.traits).toMatchObject({ first_name: 'HookedInB' });
      expect(await api.app.get(ProfilesService).findByIdentity(wsA, 'email', 'hooked-in-b@example.org')).toBeFalsy();
    },
    'GET /v1/webhooks/sources/{sourceId}': async () => {
      const before = await snapshotA();
      const response = await fetch(`${api.base}/v1/webhooks/sources/${sourceB}?hub.mode=subscribe&hub.challenge=b&hub.verify_token=verify-me`);
      expect(await response.text()).toBe('b');
      expect(await snapshotA()).toEqual(before);
    },
    'GET /v1/webhook-subscriptions/{id}/deliveries': async () => {
      expect((await api.call(keyB, `/v1/webhook-subscriptions/${subscriptionA}/deliveries`)).status).toBe(404);
    },
  };

  /** B writes about the same user id and email: B gets its own profile, A's stays as it was. */
  async function write(path: string, body: unknown) {
    const before = await snapshotA();
    // Waits until the message is on B's profile (Portrait-Wait), so that B's profile can be read right after.
    const response = await api.call(keyB, path, { method: 'POST', body, headers: { 'portrait-wait': '10' } });
    expect(response.status).toBe(200);
    expect(await snapshotA()).toEqual(before);
    const inB = await api.app.get(ProfilesService).findByIdentity(wsB, 'user_id', 'same-user');
    expect(inB).toBeDefined();
    expect(inB!.id).not.toBe(profileA);
  }

  async function snapshotA() {
    const tables = ['profiles', 'identities', 'source_records', 'events', 'account_links', 'merges'];
    const out: Record<string, string[]> = {};
    for (const table of tables) {
      out[table] = (await api.db.dataSource.query(`SELECT t::text AS row FROM ${table} t WHERE workspace_id = $1 ORDER BY 1`, [wsA])).map((r: { row: string }) => r.row);
    }
    return out;
  }

  it('covers every route of the API', async () => {
    const spec = (await (await fetch(`${api.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(spec.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.keys(cases))('%s: a key of another workspace neither sees nor changes its data', async (route) => {
    await cases[route]!();
  });
});
