import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInConnectors } from '@portrait/connectors';
import { SyncService } from '@portrait/core';
import { createTestAdmin, json, type TestAdmin, type TestSession } from './support/test-admin.js';

type DeadLetter = { id: string; reason: string; location: string };
type Retry = { retried: number; stored: number; refused: { id: string; reason: string }[]; notRetryable: { id: string; reason: string }[] };

describe('retrying a run\'s dead letters', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  let dir: string;
  let runId: string;
  const FRONT_DESK = 'front-desk@hotel.example';
  const LOBBY = 'lobby@hotel.example';

  const deadLetters = async () => (await json<{ data: DeadLetter[] }>(await admin.call(viewer, `${base}/runs/${runId}/dead-letters`))).data;
  const profilesWith = async (email: string): Promise<number> => {
    const [{ n }] = await admin.db.dataSource.query(
      `SELECT count(*)::int AS n FROM identities WHERE workspace_id = $1 AND type = 'email' AND value = $2`,
      [ws.id, email],
    );
    return n;
  };
  const retry = (session: TestSession | undefined, body?: unknown, workspace = ws.slug) =>
    admin.call(session, `/admin/api/workspaces/${workspace}/runs/${runId}/dead-letters/retry`, { method: 'POST', body });

  beforeAll(async () => {
    admin = await createTestAdmin({ connectors: builtInConnectors });
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}`;
    // Two shared inboxes are blocked as identity values: the rows that only have one are refused.
    const blocked = await admin.call(editor, `${base}/settings/identity`, { method: 'PATCH', body: { blockedValues: [FRONT_DESK, LOBBY] } });
    expect(blocked.status).toBe(200);
    dir = mkdtempSync(join(tmpdir(), 'portrait-admin-retry-'));
    writeFileSync(
      join(dir, 'guests.csv'),
      ['Guest,E-mail,First name', 'G-1,ana@example.org,Ana', `G-2,${FRONT_DESK},Bruno`, `G-3,${LOBBY},Carla`, 'G-4,,Nobody', 'G-5,dora@example.org,Dora'].join('\n') + '\n',
    );
    const created = await admin.call(editor, `${base}/sources`, {
      method: 'POST',
      body: { connectorId: 'csv', name: 'guests', config: { directory: dir, mapping: { externalId: 'Guest', identities: { 'E-mail': 'email' }, traits: { 'First name': 'first_name' } } } },
    });
    expect(created.status).toBe(201);
    const outcome = await admin.app.get(SyncService).sync((await json<{ id: string }>(created)).id, { workspaceId: ws.id, mode: 'full' });
    if (!outcome.started) throw new Error('the sync did not start');
    runId = outcome.run.id;
  });
  afterAll(async () => {
    await admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has dead-lettered the rows with a blocked value only, and the row without any', async () => {
    const letters = await deadLetters();
    expect(letters.map((d) => d.location).sort()).toEqual(['fact 1 of a rows batch', 'fact 2 of a rows batch', 'guests.csv line 5']);
    expect(letters.filter((d) => d.reason.includes('no usable identity')).length).toBe(2);
    expect(await profilesWith(FRONT_DESK)).toBe(0);
  });

  it('refuses a viewer (403), no credentials (401), bad ids (400 naming the field), unknown ones (404) and another workspace (404), retrying nothing', async () => {
    const before = await deadLetters();
    expect((await retry(viewer, {})).status).toBe(403);
    expect((await retry(undefined, {})).status).toBe(401);
    for (const [body, field] of [
      [{ ids: ['not-a-uuid'] }, 'ids.0'],
      [{ ids: [] }, 'ids'],
      [{ ids: before.map((d) => d.id), all: true }, '(body)'],
    ] as const) {
      const response = await retry(editor, body);
      expect(response.status).toBe(400);
      const problem = await json<{ errors: { field: string; message: string }[] }>(response);
      expect(problem.errors.map((e) => e.field)).toContain(field);
      if (field === '(body)') expect(problem.errors[0]!.message).toContain('all');
    }
    const unknown = await retry(editor, { ids: [before[0]!.id, '00000000-0000-4000-8000-000000000000'] });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
    const stranger = await admin.session(other.id, 'admin');
    expect((await retry(stranger, {}, other.slug)).status).toBe(404);
    expect(await deadLetters()).toEqual(before);
  });

  it('retries while the value is still blocked: the fact is refused again and kept, the raw row is not retryable', async () => {
    const front = (await deadLetters()).find((d) => d.location === 'fact 1 of a rows batch')!;
    const response = await retry(editor, { ids: [front.id] });
    expect(response.status).toBe(200);
    expect(await json<Retry>(response)).toEqual({ retried: 1, stored: 0, refused: [{ id: front.id, reason: expect.stringContaining('no usable identity') }], notRetryable: [] });
    expect((await deadLetters()).map((d) => d.id)).toContain(front.id);
  });

  it('after the block is lifted, stores the refused facts and deletes their dead letters; the raw row stays', async () => {
    const unblocked = await admin.call(editor, `${base}/settings/identity`, { method: 'PATCH', body: { blockedValues: [] } });
    expect(unblocked.status).toBe(200);
    const raw = (await deadLetters()).find((d) => d.location === 'guests.csv line 5')!;
    const response = await retry(editor);
    expect(response.status).toBe(200);
    expect(await json<Retry>(response)).toEqual({ retried: 2, stored: 2, refused: [], notRetryable: [{ id: raw.id, reason: expect.any(String) }] });
    expect(await profilesWith(FRONT_DESK)).toBe(1);
    expect(await profilesWith(LOBBY)).toBe(1);
    expect((await deadLetters()).map((d) => d.id)).toEqual([raw.id]);
    // Retrying again stores nothing twice.
    expect(await json<Retry>(await retry(editor, {}))).toEqual({ retried: 0, stored: 0, refused: [], notRetryable: [{ id: raw.id, reason: expect.any(String) }] });
    expect(await profilesWith(FRONT_DESK)).toBe(1);
  });

  it('writes each retry to the audit log', async () => {
    const owner = await admin.session(ws.id, 'owner');
    const audit = await json<{ data: { action: string; target: { type: string; id: string } }[] }>(await admin.call(owner, `${base}/audit-log?limit=50`));
    const retries = audit.data.filter((e) => e.action === 'sync_run.dead_letters.retry');
    expect(retries.length).toBe(3);
    expect(retries.every((e) => e.target.id === runId)).toBe(true);
  });
});
