import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInConnectors } from '@portrait/connectors';
import { SourcesService, SyncRunsService, SyncScheduler } from '@portrait/core';
import { createTestAdmin, json, recordingCall, type TestAdmin, type TestSession } from './support/test-admin.js';
import { VAULT_KEY, vaultConnector } from './support/vault-connector.js';

type Run = {
  id: string;
  sourceId: string;
  status: string;
  currentStream: string | null;
  stats: Record<string, { read: number; created: number; deadLettered: number }>;
  totals: { read: number; stored: number; deadLettered: number };
  warnings: { message: string; count: number }[];
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  cancelRequested: boolean;
};
type Progress = { runId: string; status: string; currentStream: string | null; totals: { read: number; stored: number } };
type ServerEvent = { event: string; data: unknown };

/** Reads a server-sent event stream event by event; `until` may act (cancel a run) while it is still open. */
async function readEvents(response: Response, until?: (event: ServerEvent) => Promise<void> | void): Promise<{ events: ServerEvent[]; text: string }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: ServerEvent[] = [];
  let text = '';
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
      if (!fields.event) continue;
      const event = { event: fields.event, data: JSON.parse(fields.data) };
      events.push(event);
      await until?.(event);
    }
  }
  return { events, text };
}

describe('sync now, runs, live progress and dead letters', () => {
  let admin: TestAdmin;
  /** Every response body the tests saw: no secret may be in any of them. */
  let recorder: ReturnType<typeof recordingCall>;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let owner: { userId: string };
  let dir: string;
  let base: string;
  let csvSource: string;
  let csvRun: Run;
  const rows = 7;

  const call: TestAdmin['call'] = (...args) => recorder.call(...args);

  beforeAll(async () => {
    admin = await createTestAdmin({ env: { PORTRAIT_SECRET_KEY: 's'.repeat(40) }, connectors: [...builtInConnectors, vaultConnector] });
    recorder = recordingCall(admin);
    // This process also plays the worker: it starts the runs "sync now" queues.
    await admin.app.get(SyncScheduler).start();
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    owner = await admin.user(ws.id, 'owner');
    base = `/admin/api/workspaces/${ws.slug}`;
    dir = mkdtempSync(join(tmpdir(), 'portrait-admin-runs-'));
    const lines = ['Visit ID,E-mail,First name'];
    for (let i = 0; i < rows - 1; i++) lines.push(`V-${i},person${i}@example.org,P${i}`);
    lines.push('V-bad,,Nobody');
    writeFileSync(join(dir, 'visits.csv'), lines.join('\n') + '\n');
    const created = await call(editor, `${base}/sources`, {
      method: 'POST',
      body: { connectorId: 'csv', name: 'visits', config: { directory: dir, batchSize: 2, mapping: { externalId: 'Visit ID', identities: { 'E-mail': 'email' }, traits: { 'First name': 'first_name' } } } },
    });
    expect(created.status).toBe(201);
    csvSource = (await json<{ id: string }>(created)).id;
  });
  afterAll(async () => {
    await admin?.app.get(SyncScheduler).stop();
    await admin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs a CSV source now (202 with the queued run) and streams its progress until it ends', async () => {
    const queued = await call(editor, `${base}/sources/${csvSource}/sync`, { method: 'POST', body: {} });
    expect(queued.status).toBe(202);
    const run = await json<Run>(queued);
    expect(run).toMatchObject({ sourceId: csvSource, status: 'queued', startedAt: null });

    const stream = await call(viewer, `${base}/runs/${run.id}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const { events } = await readEvents(stream);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data as Progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.runId === run.id)).toBe(true);
    // Counts only grow, and the last progress is the run's end state.
    const reads = progress.map((p) => p.totals.read);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ status: 'succeeded', currentStream: 'rows', totals: { read: rows, stored: rows - 1 } });
    expect(events.at(-1)!.event).toBe('end');
    csvRun = events.at(-1)!.data as Run;
    expect(csvRun).toMatchObject({ id: run.id, status: 'succeeded', totals: { read: rows, stored: rows - 1, deadLettered: 1 }, stats: { rows: { read: rows, created: rows - 1, deadLettered: 1 } } });
    expect(csvRun.durationMs).toEqual(expect.any(Number));
    const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM profiles WHERE workspace_id = $1`, [ws.id]);
    expect(n).toBe(rows - 1);
  });

  it('streams an ended run\'s last progress and its end at once', async () => {
    const { events } = await readEvents(await call(viewer, `${base}/runs/${csvRun.id}/events`));
    expect(events.map((e) => e.event)).toEqual(['progress', 'end']);
    expect(events[1]!.data).toMatchObject({ id: csvRun.id, status: 'succeeded' });
  });

  it('lists a source\'s runs newest first, and reads one', async () => {
    await admin.app.get(SyncRunsService).enqueue(ws.id, csvSource, 'manual', 'full').then((r) => admin.app.get(SyncRunsService).requestCancel(r.id));
    const page = await json<{ data: Run[]; nextCursor: string | null }>(await call(viewer, `${base}/sources/${csvSource}/runs?limit=1`));
    expect(page.data).toEqual([expect.objectContaining({ status: 'cancelled' })]);
    const next = await json<{ data: Run[]; nextCursor: string | null }>(await call(viewer, `${base}/sources/${csvSource}/runs?limit=1&cursor=${page.nextCursor}`));
    expect(next.data.map((r) => r.id)).toEqual([csvRun.id]);
    expect(next.nextCursor).toBeNull();
    const one = await call(viewer, `${base}/runs/${csvRun.id}`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ id: csvRun.id, status: 'succeeded', startedAt: expect.any(String), finishedAt: expect.any(String), warnings: [] });
    for (const query of ['limit=0', 'cursor=nonsense']) {
      const bad = await call(viewer, `${base}/sources/${csvSource}/runs?${query}`);
      expect(bad.status).toBe(400);
      expect(await json(bad)).toMatchObject({ errors: [{ field: query.split('=')[0] }] });
    }
  });

  it('lists a run\'s dead letters with their reasons but no record, and shows one record on request, both audited', async () => {
    const list = await call(viewer, `${base}/runs/${csvRun.id}/dead-letters`);
    expect(list.status).toBe(200);
    const { data } = await json<{ data: Record<string, unknown>[] }>(list);
    expect(data).toEqual([expect.objectContaining({ runId: csvRun.id, stream: 'rows', location: 'visits.csv line 8', reason: expect.stringContaining('E-mail') })]);
    expect(data[0]).not.toHaveProperty('payload');
    const one = await call(viewer, `${base}/runs/${csvRun.id}/dead-letters/${data[0]!.id}`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ id: data[0]!.id, payload: ['V-bad', '', 'Nobody'] });
    expect((await call(viewer, `${base}/runs/${csvRun.id}/dead-letters?limit=500`)).status).toBe(400);
    expect((await call(viewer, `${base}/runs/${csvRun.id}/dead-letters/not-a-uuid`)).status).toBe(404);

    const token = await admin.token(owner.userId);
    const audit = await json<{ data: { action: string; target: { type: string; id: string } }[] }>(await call({ token }, `${base}/audit-log?limit=10`));
    expect(audit.data.slice(0, 2)).toEqual([
      expect.objectContaining({ action: 'dead_letter.read', target: { type: 'dead_letter', id: data[0]!.id } }),
      expect.objectContaining({ action: 'sync_run.dead_letters.read', target: { type: 'sync_run', id: csvRun.id } }),
    ]);
    expect(audit.data.map((e) => e.action)).toContain('source.sync');
  });

  it('cancels a running run: it stops at its next batch, recorded as cancelled; a second cancel is a 409', async () => {
    const source = await admin.app.get(SourcesService).create(ws.id, { connectorId: 'vault', name: 'endless', config: { account: 'acme', apiKey: VAULT_KEY, endless: true } });
    const run = await json<Run>(await call(editor, `${base}/sources/${source.id}/sync`, { method: 'POST', body: { mode: 'full' } }));
    let cancelled: Response | undefined;
    const { events, text } = await readEvents(await call(viewer, `${base}/runs/${run.id}/events`), async (event) => {
      const progress = event.data as Progress;
      if (!cancelled && event.event === 'progress' && progress.totals.read > 0) cancelled = await call(editor, `${base}/runs/${run.id}/cancel`, { method: 'POST' });
    });
    recorder.answers.push(text);
    expect(cancelled!.status).toBe(202);
    expect(await json(cancelled!)).toMatchObject({ id: run.id, status: 'running', cancelRequested: true });
    const ended = events.at(-1)!;
    expect(ended.event).toBe('end');
    expect(ended.data).toMatchObject({ status: 'cancelled', cancelRequested: true, currentStream: 'members' });
    // The connector's warning is kept on the run, the key it quoted redacted.
    expect((ended.data as Run).warnings).toEqual([{ message: 'slow answers for key [redacted]', count: 1 }]);
    const again = await call(editor, `${base}/runs/${run.id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: 'SYNC_RUN_ENDED' });
  });

  it('refuses bad input: an unknown sync mode is a 400 naming mode; no body at all is an incremental sync', async () => {
    const bad = await call(editor, `${base}/sources/${csvSource}/sync`, { method: 'POST', body: { mode: 'sometimes' } });
    expect(bad.status).toBe(400);
    expect(await json(bad)).toMatchObject({ errors: [{ field: 'mode' }] });
    const bare = await call(editor, `${base}/sources/${csvSource}/sync`, { method: 'POST' });
    expect(bare.status).toBe(202);
    const run = await json<Run & { mode: string }>(bare);
    expect(run.mode).toBe('incremental');
    const { events } = await readEvents(await call(viewer, `${base}/runs/${run.id}/events`));
    expect(events.at(-1)!.data).toMatchObject({ status: 'succeeded', totals: { read: 0 } });
  });

  it('refuses viewers a sync or a cancel (403), queuing nothing', async () => {
    const before = (await admin.app.get(SyncRunsService).list(ws.id, csvSource)).length;
    const queued = await admin.app.get(SyncRunsService).enqueue(ws.id, csvSource, 'manual', 'incremental');
    await admin.app.get(SyncRunsService).requestCancel(queued.id);
    for (const [path, body] of [[`${base}/sources/${csvSource}/sync`, {}], [`${base}/runs/${csvRun.id}/cancel`, undefined]] as const) {
      const response = await call(viewer, path, { method: 'POST', body });
      expect(response.status).toBe(403);
      expect(await json(response)).toMatchObject({ code: 'ROLE_REQUIRED' });
    }
    expect((await admin.app.get(SyncRunsService).list(ws.id, csvSource)).length).toBe(before + 1);
  });

  it('answers 401 without credentials on every run route', async () => {
    for (const [method, path] of [
      ['GET', `${base}/runs/${csvRun.id}`],
      ['GET', `${base}/runs/${csvRun.id}/events`],
      ['POST', `${base}/runs/${csvRun.id}/cancel`],
      ['GET', `${base}/runs/${csvRun.id}/dead-letters`],
      ['GET', `${base}/runs/${csvRun.id}/dead-letters/${csvRun.id}`],
    ] as const) {
      const response = await call(undefined, path, { method });
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
    }
  });

  it('answers 404 for another workspace\'s runs and dead letters, changing nothing', async () => {
    const stranger = await admin.session(other.id, 'admin');
    const [deadLetter] = (await admin.app.get(SyncRunsService).deadLettersOfRun(ws.id, csvRun.id)).data;
    const theirs = `/admin/api/workspaces/${other.slug}`;
    for (const [method, path] of [
      ['GET', `${theirs}/runs/${csvRun.id}`],
      ['GET', `${theirs}/runs/${csvRun.id}/events`],
      ['POST', `${theirs}/runs/${csvRun.id}/cancel`],
      ['GET', `${theirs}/runs/${csvRun.id}/dead-letters`],
      ['GET', `${theirs}/runs/${csvRun.id}/dead-letters/${deadLetter!.id}`],
      ['GET', `${theirs}/sources/${csvSource}/runs`],
      ['POST', `${theirs}/sources/${csvSource}/sync`],
      ['GET', `${theirs}/runs/not-a-uuid`],
    ] as const) {
      const response = await call(stranger, path, { method, body: method === 'POST' ? {} : undefined });
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
    expect((await call(editor, `${base}/runs/${csvRun.id}/dead-letters/${csvRun.id}`)).status).toBe(404);
    const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM sync_runs WHERE workspace_id = $1`, [other.id]);
    expect(n).toBe(0);
  });

  it('never answers a secret, not even in a run\'s events', () => {
    expect(recorder.answers.filter((a) => a.includes(VAULT_KEY))).toEqual([]);
  });
});
