import { AuditLogService } from '@portrait/core';
import { createTestApi, person, type TestApi } from './support/test-api.js';

/** Every read of one person's data through the public API joins the workspace's audit log: key, route, profile, time. */
describe('audit of reads through the public API', () => {
  let api: TestApi;
  let ws: string;
  let reader: string;
  let readerId: string;
  let ana: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    reader = await api.key(ws, ['profiles:read', 'privacy:write']);
    [{ id: readerId }] = await api.db.dataSource.query(`SELECT id FROM api_keys WHERE workspace_id = $1`, [ws]);
    await api.ingest(ws, [
      person('ana', [['email', 'ana@example.org']], { first_name: 'Ana' }),
      person('ana-2', [['phone', '+14155550100']], { city: 'Lisbon' }),
      person('bo', [['email', 'bo@example.org']], { first_name: 'Bo' }),
    ]);
    // The second record joins Ana's: its profile is merged into hers.
    await api.ingest(ws, [person('ana-3', [['email', 'ana@example.org'], ['phone', '+14155550100']], {})]);
    ana = ((await (await api.call(reader, '/v1/profiles/lookup?type=email&value=ana@example.org')).json()) as { id: string }).id;
  });
  afterAll(() => api?.close());

  const entries = async () => (await api.app.get(AuditLogService).list(ws, { limit: 200 })).data.filter((e) => e.actor.via === 'api_key');

  it('records the key, the route and the profile answered for each read of one person, and nothing for lists or failed reads', async () => {
    const before = (await entries()).length;
    const [{ merged }] = await api.db.dataSource.query(`SELECT id AS merged FROM profiles WHERE workspace_id = $1 AND merged_into = $2`, [ws, ana]);
    for (const path of [`/v1/profiles/${ana}`, `/v1/profiles/${merged}`, `/v1/profiles/${ana}/events`, `/v1/profiles/${ana}/traits?verbose=true`, `/v1/profiles/${ana}/export`]) {
      expect((await api.call(reader, path)).status).toBe(200);
    }
    expect((await api.call(reader, '/v1/profiles')).status).toBe(200);
    expect((await api.call(reader, '/v1/profiles/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.call(reader, '/v1/profiles/lookup?type=email&value=nobody@example.org')).status).toBe(404);

    const recorded = (await entries()).slice(0, (await entries()).length - before).reverse();
    expect(recorded.map((e) => [e.action, e.target])).toEqual([
      ['api.profile.read', { type: 'profile', id: ana }],
      // A merged-away id is recorded as the profile answered: the survivor.
      ['api.profile.read', { type: 'profile', id: ana }],
      ['api.profile.events.read', { type: 'profile', id: ana }],
      ['api.profile.traits.read', { type: 'profile', id: ana }],
      ['api.profile.export', { type: 'profile', id: ana }],
    ]);
    for (const entry of recorded) {
      expect(entry.actor).toEqual({ userId: null, label: `api_key:${readerId}`, via: 'api_key' });
      expect(Date.now() - Date.parse(entry.at)).toBeLessThan(60_000);
    }
    // No personal data in the log: ids only.
    expect(JSON.stringify(recorded)).not.toMatch(/ana@example\.org|\+14155550100/);
  });

  it('records a lookup by identifier and an erasure with the profile id, never the identifier', async () => {
    const bo = (await (await api.call(reader, '/v1/profiles/lookup?type=email&value=bo@example.org')).json()) as { id: string };
    expect((await api.call(reader, `/v1/profiles/${bo.id}`, { method: 'DELETE' })).status).toBe(200);
    const [erased, lookup] = await entries();
    expect([lookup!.action, lookup!.target, erased!.action, erased!.target]).toEqual(['api.profile.lookup', { type: 'profile', id: bo.id }, 'api.profile.erase', { type: 'profile', id: bo.id }]);
    expect(JSON.stringify(await entries())).not.toContain('bo@example.org');
  });
});
