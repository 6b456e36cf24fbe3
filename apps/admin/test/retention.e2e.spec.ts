import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInConnectors } from '@portrait/connectors';
import { ManualClock, monthsBefore, ProfilesService, RetentionService, SyncService } from '@portrait/core';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

type Report = { eventsBefore: string; deadLettersBefore: string; eventsDeleted: number; deadLettersDeleted: number; intakeDeadLettersDeleted: number; profilesRecomputed: number };
type Problem = { code: string; errors?: { field: string; message: string }[] };

// The process's clock runs 26 months ahead of the database's: what the database dated "now" (dead
// letters) is then 26 months old, past the default retention of 25.
const NOW = monthsBefore(new Date(), -26);
const monthsAgo = (months: number) => monthsBefore(NOW, months).toISOString();
const order = (id: string, at: string, total: number) => ({ type: 'order_placed', occurredAt: at, properties: { order_id: id, total }, dedupeKey: id });

describe('retention of events and dead letters', () => {
  const clock = new ManualClock(NOW);
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  let dir: string;
  let ana: string;

  const count = async (table: string, workspaceId = ws.id) => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE workspace_id = $1`, [workspaceId]))[0].n as number;
  const apply = (session: TestSession | undefined, workspace = ws.slug) => admin.call(session, `/admin/api/workspaces/${workspace}/retention/apply`, { method: 'POST' });

  beforeAll(async () => {
    admin = await createTestAdmin({ clock, connectors: builtInConnectors });
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}`;
    for (const workspace of [ws, other]) {
      await admin.ingest(workspace.id, [
        person('ana', [['email', 'ana@example.org']], { first_name: 'Ana' }, { events: [order('o-old', monthsAgo(30), 40), order('o-new', monthsAgo(1), 120)] }),
      ]);
      await admin.db.dataSource.query(`INSERT INTO intake_dead_letters (workspace_id, reason, payload, received_at) VALUES ($1, 'no usable identity', '{}', now())`, [workspace.id]);
    }
    ana = (await admin.app.get(ProfilesService).findByIdentity(ws.id, 'email', 'ana@example.org'))!.id;
    // A CSV import with a row without an identity leaves a dead letter.
    dir = mkdtempSync(join(tmpdir(), 'portrait-admin-retention-'));
    writeFileSync(join(dir, 'guests.csv'), ['Guest,E-mail', 'G-1,bo@example.org', 'G-2,'].join('\n') + '\n');
    const created = await admin.call(editor, `${base}/sources`, {
      method: 'POST',
      body: { connectorId: 'csv', name: 'guests', config: { directory: dir, mapping: { externalId: 'Guest', identities: { 'E-mail': 'email' } } } },
    });
    expect(created.status).toBe(201);
    const outcome = await admin.app.get(SyncService).sync((await json<{ id: string }>(created)).id, { workspaceId: ws.id, mode: 'full' });
    if (!outcome.started) throw new Error('the sync did not start');
  });
  afterAll(async () => {
    await admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the retention in force: 25 months each by default, for viewers too', async () => {
    const response = await admin.call(viewer, `${base}/settings/retention`);
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ eventsMonths: 25, deadLettersMonths: 25 });
  });

  it('refuses a bad retention with 400 naming each field, and viewers with 403, storing nothing', async () => {
    const bad = await admin.call(editor, `${base}/settings/retention`, { method: 'PUT', body: { eventsMonths: 0, deadLettersMonths: 2.5, keepForever: true } });
    expect(bad.status).toBe(400);
    const problem = await json<Problem>(bad);
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors!.map((e) => e.field)).toEqual(expect.arrayContaining(['eventsMonths', 'deadLettersMonths']));
    expect((await admin.call(viewer, `${base}/settings/retention`, { method: 'PUT', body: { eventsMonths: 12 } })).status).toBe(403);
    expect((await admin.call(viewer, `${base}/retention/apply`, { method: 'POST' })).status).toBe(403);
    expect(await json(await admin.call(viewer, `${base}/settings/retention`))).toEqual({ eventsMonths: 25, deadLettersMonths: 25 });
  });

  it('applies a longer dead-letter retention: old events go and the profile is recomputed, dead letters stay', async () => {
    expect((await admin.app.get(ProfilesService).get(ws.id, ana)).computed).toMatchObject({ orders_count: 2, lifetime_value: 160 });
    const put = await admin.call(editor, `${base}/settings/retention`, { method: 'PUT', body: { deadLettersMonths: 36 } });
    expect(put.status).toBe(200);
    expect(await json(put)).toEqual({ eventsMonths: 25, deadLettersMonths: 36 });

    const response = await apply(editor);
    expect(response.status).toBe(200);
    expect(await json<Report>(response)).toMatchObject({
      eventsBefore: monthsAgo(25),
      deadLettersBefore: monthsAgo(36),
      eventsDeleted: 1,
      deadLettersDeleted: 0,
      intakeDeadLettersDeleted: 0,
      profilesRecomputed: 1,
    });
    const events = (await admin.app.get(ProfilesService).events(ws.id, ana)).data;
    expect(events.map((e) => e.properties.order_id)).toEqual(['o-new']);
    expect((await admin.app.get(ProfilesService).get(ws.id, ana)).computed).toMatchObject({ orders_count: 1, lifetime_value: 120 });
    expect(await count('dead_letters')).toBe(1);
    expect(await count('intake_dead_letters')).toBe(1);
  });

  it('back to the default, the next pass deletes the dead letters; another workspace keeps everything', async () => {
    expect((await admin.call(editor, `${base}/settings/retention`, { method: 'PUT', body: {} })).status).toBe(200);
    expect(await json<Report>(await apply(editor))).toMatchObject({ eventsDeleted: 0, deadLettersDeleted: 1, intakeDeadLettersDeleted: 1, profilesRecomputed: 0 });
    expect(await count('dead_letters')).toBe(0);
    expect(await count('intake_dead_letters')).toBe(0);
    expect(await count('events', other.id)).toBe(2);
    expect(await count('intake_dead_letters', other.id)).toBe(1);
    // And a workspace's admin cannot apply another's.
    expect((await apply(editor, other.slug)).status).toBe(404);
  });

  it("is the worker's daily job too: every workspace's retention applied, each one's own", async () => {
    const reports = await admin.app.get(RetentionService).applyAll();
    const forOther = reports.find((r) => r.workspaceId === other.id)!;
    expect(forOther).toMatchObject({ eventsDeleted: 1, intakeDeadLettersDeleted: 1, profilesRecomputed: 1 });
    expect(await count('events', other.id)).toBe(1);
  });

  it('writes the change and each pass to the audit log', async () => {
    const owner = await admin.session(ws.id, 'owner');
    const { data } = await json<{ data: { action: string }[] }>(await admin.call(owner, `${base}/audit-log?limit=200`));
    expect(data.map((e) => e.action)).toEqual(expect.arrayContaining(['settings.retention.replace', 'retention.apply']));
  });
});
