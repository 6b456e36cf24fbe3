import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInConnectors } from '@portrait/connectors';
import { SyncService } from '@portrait/core';
import { createTestAdmin, json, type TestAdmin, type TestSession } from './support/test-admin.js';

type Run = { status: string; stats: Record<string, { read: number; created: number; suppressed: number; deadLettered: number }>; totals: { read: number; stored: number; suppressed: number } };

describe('suppression after erasure', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  let dir: string;
  let sourceId: string;

  const profileOf = async (email: string): Promise<string | undefined> =>
    (await admin.db.dataSource.query(`SELECT profile_id FROM identities WHERE workspace_id = $1 AND type = 'email' AND value = $2`, [ws.id, email]))[0]?.profile_id;
  const sync = async (): Promise<Run> => {
    const outcome = await admin.app.get(SyncService).sync(sourceId, { workspaceId: ws.id, mode: 'full' });
    if (!outcome.started) throw new Error('the sync did not start');
    return json<Run>(await admin.call(viewer, `${base}/runs/${outcome.run.id}`));
  };
  const lift = (session: TestSession | undefined, body: unknown, workspace = ws.slug) =>
    admin.call(session, `/admin/api/workspaces/${workspace}/suppressions/lift`, { method: 'POST', body });

  beforeAll(async () => {
    admin = await createTestAdmin({ connectors: builtInConnectors });
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}`;
    dir = mkdtempSync(join(tmpdir(), 'portrait-admin-suppression-'));
    writeFileSync(join(dir, 'people.csv'), 'E-mail,Phone,First name\nana@example.org,+351912345678,Ana\nbo@example.org,,Bo\n');
    const created = await admin.call(editor, `${base}/sources`, {
      method: 'POST',
      body: { connectorId: 'csv', name: 'people', config: { directory: dir, mapping: { identities: { 'E-mail': 'email', Phone: 'phone' }, traits: { 'First name': 'first_name' } } } },
    });
    expect(created.status).toBe(201);
    sourceId = (await json<{ id: string }>(created)).id;
    expect((await sync()).totals).toMatchObject({ read: 2, stored: 2, suppressed: 0 });
  });
  afterAll(async () => {
    await admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('suppresses an erased person\'s identifiers: the next sync of the same file brings back the others only, counted as suppressed', async () => {
    const ana = (await profileOf('ana@example.org'))!;
    expect((await admin.call(editor, `${base}/profiles/${ana}`, { method: 'DELETE' })).status).toBe(200);
    const counts = await admin.call(viewer, `${base}/suppressions`);
    expect(counts.status).toBe(200);
    expect(await json(counts)).toEqual({ total: 2, byType: { email: 1, phone: 1 } });
    const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM suppressions WHERE encode(digest, 'escape') LIKE '%ana@%'`);
    expect(n).toBe(0);

    const run = await sync();
    expect(run.status).toBe('succeeded');
    expect(run.stats.rows).toMatchObject({ read: 2, created: 0, suppressed: 1, deadLettered: 0 });
    expect(run.totals).toEqual({ read: 2, stored: 1, deadLettered: 0, suppressed: 1 });
    expect(await profileOf('ana@example.org')).toBeUndefined();
    expect(await profileOf('bo@example.org')).toBeDefined();
  });

  it('refuses to lift for a viewer (403), without credentials (401), bad input (400 naming the field), a value not suppressed (404) and another workspace (404)', async () => {
    expect((await lift(viewer, { type: 'email', value: 'ana@example.org' })).status).toBe(403);
    expect((await lift(undefined, { type: 'email', value: 'ana@example.org' })).status).toBe(401);
    for (const [body, field] of [
      [{ type: 'E-mail', value: 'ana@example.org' }, 'type'],
      [{ type: 'email', value: '' }, 'value'],
      [{ type: 'email' }, 'value'],
      [{ type: 'email', value: 'not an address' }, 'value'],
    ] as const) {
      const response = await lift(editor, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect((await json<{ errors: { field: string }[] }>(response)).errors.map((e) => e.field)).toContain(field);
    }
    const unknown = await lift(editor, { type: 'email', value: 'bo@example.org' });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ code: 'SUPPRESSION_NOT_FOUND' });
    const stranger = await admin.session(other.id, 'admin');
    expect((await lift(stranger, { type: 'email', value: 'ana@example.org' }, other.slug)).status).toBe(404);
    expect(await json(await admin.call(viewer, `${base}/suppressions`))).toEqual({ total: 2, byType: { email: 1, phone: 1 } });
  });

  it('lifts one identifier (written as a person would, normalized as at ingest), audited without the value: the next sync brings the person back', async () => {
    const lifted = await lift(editor, { type: 'email', value: '  ANA@example.org ' });
    expect(lifted.status).toBe(200);
    expect(await json(lifted)).toEqual({ lifted: true, type: 'email' });
    expect((await lift(editor, { type: 'email', value: 'ana@example.org' })).status).toBe(404);
    // Her phone is still suppressed: her row still carries it, so she stays out until it is lifted too.
    expect((await sync()).stats.rows).toMatchObject({ suppressed: 1 });
    expect((await lift(editor, { type: 'phone', value: '+351 912 345 678' })).status).toBe(200);
    const run = await sync();
    expect(run.stats.rows).toMatchObject({ created: 1, suppressed: 0 });
    expect(await profileOf('ana@example.org')).toBeDefined();

    const owner = await admin.session(ws.id, 'owner');
    const audit = await json<{ data: { action: string; target: unknown }[] }>(await admin.call(owner, `${base}/audit-log?limit=50`));
    const lifts = audit.data.filter((e) => e.action === 'suppression.lift');
    expect(lifts).toHaveLength(2);
    expect(lifts.every((e) => JSON.stringify(e.target) === JSON.stringify({ type: 'suppression', id: null }))).toBe(true);
    expect(JSON.stringify(audit.data)).not.toContain('ana@example.org');
  });
});
