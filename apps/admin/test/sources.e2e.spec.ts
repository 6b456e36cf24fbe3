import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInConnectors } from '@portrait/connectors';
import { SourcesService } from '@portrait/core';
import { createTestAdmin, json, recordingCall, type TestAdmin, type TestSession } from './support/test-admin.js';
import { VAULT_KEY, vaultConnector } from './support/vault-connector.js';

type Source = { id: string; connectorId: string; name: string; config: Record<string, unknown>; schedule: string; enabled: boolean; status: string };
type Problem = { code: string; errors?: { field: string; message: string }[] };

const WRONG_KEY = 'wrong-key-9876543210';
const WEBHOOK_SECRET = 'webhook-secret-5555';

describe('connectors and sources', () => {
  let admin: TestAdmin;
  /** Every response body the tests saw: no secret may be in any of them. */
  let recorder: ReturnType<typeof recordingCall>;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  let dir: string;

  const call: TestAdmin['call'] = (...args) => recorder.call(...args);
  const count = async (workspaceId: string) => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM sources WHERE workspace_id = $1`, [workspaceId]))[0].n as number;
  const csvConfig = () => ({ directory: dir, mapping: { identities: { 'E-mail': 'email' } } });
  const vault = (name: string) => call(editor, base, { method: 'POST', body: { connectorId: 'vault', name, config: { account: 'acme', apiKey: VAULT_KEY, webhookSecret: WEBHOOK_SECRET } } });

  beforeAll(async () => {
    admin = await createTestAdmin({ env: { PORTRAIT_SECRET_KEY: 's'.repeat(40) }, connectors: [...builtInConnectors, vaultConnector] });
    recorder = recordingCall(admin);
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/sources`;
    dir = mkdtempSync(join(tmpdir(), 'portrait-admin-sources-'));
  });
  afterAll(async () => {
    await admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the installed connectors with their capabilities and config JSON Schema, secret fields marked', async () => {
    const response = await call(viewer, '/admin/api/connectors');
    expect(response.status).toBe(200);
    const { data } = await json<{ data: { id: string; icon: string | null; capabilities: unknown; secretFields: string[]; configSchema: { properties: Record<string, Record<string, unknown>> } }[] }>(response);
    expect(data.map((c) => c.id)).toEqual([...builtInConnectors.map((c) => c.manifest.id), 'vault'].sort());
    const byId = new Map(data.map((c) => [c.id, c]));
    const vaultEntry = byId.get('vault')!;
    expect(vaultEntry).toMatchObject({
      icon: expect.stringContaining('data:image/svg+xml'),
      capabilities: { streams: [{ name: 'members', description: 'Members of the account', syncModes: ['full'] }], webhooks: false, destination: false },
      secretFields: ['apiKey', 'webhookSecret'],
    });
    expect(vaultEntry.configSchema.properties.apiKey).toMatchObject({ type: 'string', writeOnly: true, format: 'password' });
    expect(vaultEntry.configSchema.properties.account).not.toHaveProperty('writeOnly');
    expect(byId.get('csv')!.icon).toBeNull();
    expect((await call(undefined, '/admin/api/connectors')).status).toBe(401);
  });

  it('creates sources (201): a secret is sealed at rest and answered masked', async () => {
    const csv = await call(editor, base, { method: 'POST', body: { connectorId: 'csv', name: 'visits', config: csvConfig() } });
    expect(csv.status).toBe(201);
    expect(await json(csv)).toMatchObject({ connectorId: 'csv', name: 'visits', schedule: '0 * * * *', enabled: true, status: 'ok' });
    const created = await vault('members');
    expect(created.status).toBe(201);
    const source = await json<Source>(created);
    expect(source.config).toEqual({ account: 'acme', apiKey: '********', webhookSecret: '********' });
    expect(source.schedule).toBe('30 2 * * *');
    const [row] = await admin.db.dataSource.query(`SELECT to_jsonb(s)::text AS raw FROM sources s WHERE id = $1`, [source.id]);
    expect(row.raw).not.toContain(VAULT_KEY);
    expect(row.raw).not.toContain(WEBHOOK_SECRET);
  });

  it('refuses bad input with 400 naming each field, and stores nothing', async () => {
    const before = await count(ws.id);
    const cases: [unknown, string[]][] = [
      [{ connectorId: 'csv', config: csvConfig() }, ['name']],
      [{ connectorId: 'nope', name: 'x', config: {} }, ['connectorId']],
      [{ connectorId: 'csv', name: 'x', config: 'not an object' }, ['config']],
      [{ connectorId: 'csv', name: 'x', config: { directory: dir, mapping: { identities: {} } } }, ['config.mapping.identities']],
      [{ connectorId: 'vault', name: 'x', config: { account: 'Not Valid', apiKey: 'short' } }, ['config.account', 'config.apiKey']],
      [{ connectorId: 'csv', name: 'x', config: csvConfig(), schedule: 'every day' }, ['schedule']],
      [{ connectorId: 'csv', name: ' ', config: csvConfig() }, ['name']],
      [{ connectorId: 'csv', name: 'visits', config: csvConfig() }, ['name']],
      [{ connectorId: 'csv', name: 'x', config: csvConfig(), enabled: 'yes' }, ['enabled']],
    ];
    for (const [body, fields] of cases) {
      const response = await call(editor, base, { method: 'POST', body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      const problem = await json<Problem>(response);
      expect({ body, fields: problem.errors!.map((e) => e.field).sort() }).toEqual({ body, fields });
    }
    expect(await count(ws.id)).toBe(before);
  });

  it('lists and reads sources for viewers, secrets masked', async () => {
    const list = await call(viewer, base);
    expect(list.status).toBe(200);
    const { data } = await json<{ data: Source[] }>(list);
    expect(data.map((s) => s.name)).toEqual(['visits', 'members']);
    const one = await call(viewer, `${base}/${data[1]!.id}`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ id: data[1]!.id, config: { apiKey: '********' } });
  });

  it('changes a source: a secret left out or masked keeps its value, a new one replaces it; the check says so without quoting it', async () => {
    const source = await json<Source>(await vault('to-change'));
    const renamed = await call(editor, `${base}/${source.id}`, { method: 'PATCH', body: { name: 'changed', config: { account: 'globex' } } });
    expect(renamed.status).toBe(200);
    expect(await json(renamed)).toMatchObject({ name: 'changed', config: { account: 'globex', apiKey: '********', webhookSecret: '********' } });
    const check = await call(editor, `${base}/${source.id}/check`, { method: 'POST' });
    expect(check.status).toBe(200);
    expect(await json(check)).toEqual({ ok: true });

    const replaced = await call(editor, `${base}/${source.id}`, { method: 'PATCH', body: { config: { account: 'globex', apiKey: WRONG_KEY, webhookSecret: '********' } } });
    expect(replaced.status).toBe(200);
    const refused = await json<{ ok: boolean; reason: string }>(await call(editor, `${base}/${source.id}/check`, { method: 'POST' }));
    expect(refused).toEqual({ ok: false, reason: 'the key [redacted] was refused' });
    const stored = await admin.app.get(SourcesService).get(ws.id, source.id);
    expect(stored.config).toMatchObject({ webhookSecret: '********' });

    const bad = await call(editor, `${base}/${source.id}`, { method: 'PATCH', body: { config: { account: 7 } } });
    expect(bad.status).toBe(400);
    expect((await json<Problem>(bad)).errors!.map((e) => e.field)).toEqual(['config.account']);
    const badName = await call(editor, `${base}/${source.id}`, { method: 'PATCH', body: { name: 7 } });
    expect(badName.status).toBe(400);
    expect(await json(badName)).toMatchObject({ errors: [{ field: 'name' }] });
    expect((await admin.app.get(SourcesService).get(ws.id, source.id)).config).toMatchObject({ account: 'globex' });
  });

  it('disables, enables and schedules a source; a bad cron is a 400 naming schedule', async () => {
    const source = await json<Source>(await vault('switches'));
    const disabled = await call(editor, `${base}/${source.id}/disable`, { method: 'POST' });
    expect(disabled.status).toBe(200);
    expect(await json(disabled)).toMatchObject({ enabled: false });
    const enabled = await call(editor, `${base}/${source.id}/enable`, { method: 'POST' });
    expect(await json(enabled)).toMatchObject({ enabled: true });
    const scheduled = await call(editor, `${base}/${source.id}/schedule`, { method: 'PUT', body: { schedule: '*/5 * * * *' } });
    expect(scheduled.status).toBe(200);
    expect(await json(scheduled)).toMatchObject({ schedule: '*/5 * * * *' });
    for (const body of [{ schedule: '61 * * * *' }, { schedule: 'daily' }, {}]) {
      const bad = await call(editor, `${base}/${source.id}/schedule`, { method: 'PUT', body });
      expect(bad.status).toBe(400);
      expect(await json(bad)).toMatchObject({ errors: [{ field: 'schedule' }] });
    }
    expect((await admin.app.get(SourcesService).get(ws.id, source.id)).schedule).toBe('*/5 * * * *');
  });

  it('refuses viewers every change (403) and changes nothing', async () => {
    const source = await json<Source>(await vault('viewer-proof'));
    const before = await count(ws.id);
    const attempts: [string, string, unknown?][] = [
      ['POST', base, { connectorId: 'csv', name: 'by-viewer', config: csvConfig() }],
      ['PATCH', `${base}/${source.id}`, { name: 'viewer was here' }],
      ['DELETE', `${base}/${source.id}`],
      ['POST', `${base}/${source.id}/check`],
      ['POST', `${base}/${source.id}/enable`],
      ['POST', `${base}/${source.id}/disable`],
      ['PUT', `${base}/${source.id}/schedule`, { schedule: '* * * * *' }],
      ['POST', `${base}/${source.id}/sync`, {}],
    ];
    for (const [method, path, body] of attempts) {
      const response = await call(viewer, path, { method, body });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      expect(await json(response)).toMatchObject({ code: 'ROLE_REQUIRED' });
    }
    expect(await count(ws.id)).toBe(before);
    expect(await admin.app.get(SourcesService).get(ws.id, source.id)).toMatchObject({ name: 'viewer-proof', enabled: true, schedule: '30 2 * * *' });
    const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM sync_runs WHERE source_id = $1`, [source.id]);
    expect(n).toBe(0);
  });

  it('answers 401 on every route without a session or token', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', base],
      ['POST', base],
      ['GET', `${base}/${id}`],
      ['PATCH', `${base}/${id}`],
      ['DELETE', `${base}/${id}`],
      ['POST', `${base}/${id}/check`],
      ['POST', `${base}/${id}/enable`],
      ['POST', `${base}/${id}/disable`],
      ['PUT', `${base}/${id}/schedule`],
      ['POST', `${base}/${id}/sync`],
      ['GET', `${base}/${id}/runs`],
    ] as const) {
      const response = await call(undefined, path, { method, body: method === 'GET' || method === 'DELETE' ? undefined : {} });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
    }
  });

  it('answers 404 for another workspace\'s source ids and changes nothing', async () => {
    const foreign = await admin.app.get(SourcesService).create(other.id, { connectorId: 'vault', name: 'theirs', config: { account: 'them', apiKey: VAULT_KEY } });
    for (const [method, path, body] of [
      ['GET', `${base}/${foreign.id}`],
      ['PATCH', `${base}/${foreign.id}`, { name: 'mine now' }],
      ['DELETE', `${base}/${foreign.id}`],
      ['POST', `${base}/${foreign.id}/check`],
      ['POST', `${base}/${foreign.id}/enable`],
      ['POST', `${base}/${foreign.id}/disable`],
      ['PUT', `${base}/${foreign.id}/schedule`, { schedule: '* * * * *' }],
      ['POST', `${base}/${foreign.id}/sync`, {}],
      ['GET', `${base}/${foreign.id}/runs`],
      ['GET', `${base}/not-a-uuid`],
    ] as const) {
      const response = await call(editor, path, { method, body });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      expect(await json(response)).toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    }
    const otherBase = `/admin/api/workspaces/${other.slug}/sources`;
    expect((await call(editor, otherBase)).status).toBe(404);
    expect((await call(editor, otherBase, { method: 'POST', body: { connectorId: 'csv', name: 'intruder', config: csvConfig() } })).status).toBe(404);
    expect(await admin.app.get(SourcesService).get(other.id, foreign.id)).toMatchObject({ name: 'theirs', enabled: true, schedule: '30 2 * * *' });
    expect(await count(other.id)).toBe(1);
    const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM sync_runs WHERE source_id = $1`, [foreign.id]);
    expect(n).toBe(0);
  });

  it('deletes a source (204), then it is gone', async () => {
    const source = await json<Source>(await vault('to-delete'));
    expect((await call(editor, `${base}/${source.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(editor, `${base}/${source.id}`)).status).toBe(404);
  });

  it('audits every change to sources', async () => {
    const owner = await admin.user(ws.id, 'owner');
    const token = await admin.token(owner.userId);
    const { data } = await json<{ data: { action: string }[] }>(await call({ token }, `/admin/api/workspaces/${ws.slug}/audit-log?limit=200`));
    expect(new Set(data.map((e) => e.action))).toEqual(
      new Set(['source.create', 'source.update', 'source.check', 'source.enable', 'source.disable', 'source.schedule.change', 'source.delete']),
    );
  });

  it('never answers a secret, in any response', () => {
    expect(recorder.answers.length).toBeGreaterThan(50);
    for (const secret of [VAULT_KEY, WRONG_KEY, WEBHOOK_SECRET]) expect(recorder.answers.filter((a) => a.includes(secret))).toEqual([]);
  });
});
