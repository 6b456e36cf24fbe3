import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import csv from '@portrait/plugin-csv';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncRunsService } from '../../src/modules/sync/sync-runs.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { SYNC_BATCH_SIZE } from '../../src/modules/sync/sync-runner.js';
import { ProfileChangesService } from '../../src/modules/profiles/profile-changes.service.js';
import { createTestCore, startedRun, type TestCore } from '../../src/testing/index.js';
import { counting, countingConnector, keyedConnector } from './test-connectors.js';

const csvConfig = (directory: string) => ({
  source: 'csv-visits',
  directory,
  mapping: {
    externalId: 'Visit ID',
    identities: { 'E-mail': 'email' },
    traits: { 'First name': 'first_name' },
    event: { type: 'store_visited', occurredAt: 'Visited at' },
  },
});

describe('sync runs', () => {
  let core: TestCore;
  let sources: SourcesService;
  let sync: SyncService;
  let dir: string;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 's'.repeat(40) }, connectors: [csv, keyedConnector, countingConnector] });
    sources = core.app.get(SourcesService);
    sync = core.app.get(SyncService);
    dir = mkdtempSync(join(tmpdir(), 'portrait-sync-'));
  });
  afterAll(async () => {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    counting.failAfterCheckpoints = undefined;
    counting.startedFrom = [];
    counting.delayMs = 0;
    counting.rateLimitOnce = false;
  });

  it('syncs CSV rows into profiles with a checkpoint, reads nothing new the second time, and dead-letters a bad row', async () => {
    writeFileSync(
      join(dir, 'visits.csv'),
      [
        'Visit ID,E-mail,First name,Visited at',
        'V-1,Ana@Example.com,Ana,2026-01-02T10:00:00Z',
        'V-2,bo@example.com,Bo,2026-01-03T11:00:00Z',
        'V-3,ana@example.com,Ana,2026-01-04T12:00:00Z',
        'V-4,cy@example.com,Cy,not a date',
      ].join('\n') + '\n',
    );
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'csv', name: 'visits', config: csvConfig(dir) });

    const first = startedRun(await sync.sync(source.id));
    expect(first.status).toBe('succeeded');
    expect(first.error).toBeNull();
    expect(first.stats.rows).toEqual({ read: 4, created: 2, updated: 0, merged: 0, events: 3, rejected: 0, deadLettered: 1, suppressed: 0 });
    expect(first.durationMs).toBeGreaterThanOrEqual(0);

    const profiles = await core.db.dataSource.query(
      `SELECT traits->>'first_name' AS name, (SELECT count(*)::int FROM events e WHERE e.profile_id = p.id) AS events
       FROM profiles p WHERE workspace_id = $1 AND merged_into IS NULL ORDER BY name`,
      [workspaceId],
    );
    expect(profiles).toEqual([
      { name: 'Ana', events: 2 },
      { name: 'Bo', events: 1 },
    ]);
    const [state] = await core.db.dataSource.query(`SELECT stream, state, in_progress FROM sync_states WHERE source_id = $1`, [source.id]);
    expect(state.stream).toBe('rows');
    expect(state.in_progress).toBe(false);
    expect(Object.values(state.state.imported)).toEqual([{ file: 'visits.csv', rows: 4 }]);

    const deadLetters = await core.app.get(SyncRunsService).deadLetters(workspaceId, source.id);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ runId: first.id, stream: 'rows', location: 'visits.csv line 5' });
    expect(deadLetters[0]!.reason).toContain('not a date');

    const second = startedRun(await sync.sync(source.id));
    expect(second.status).toBe('succeeded');
    expect(second.stats.rows).toEqual({ read: 0, created: 0, updated: 0, merged: 0, events: 0, rejected: 0, deadLettered: 0, suppressed: 0 });
    const [{ count }] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM events WHERE workspace_id = $1`, [workspaceId]);
    expect(count).toBe(3);
  });

  it('continues an incremental sync from the committed state and reads everything again on a full one', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'counting', name: 'people', config: { total: 6, page: 4 } });
    const first = startedRun(await sync.sync(source.id));
    expect(first).toMatchObject({ status: 'succeeded', mode: 'incremental' });
    expect(first.stats.people).toMatchObject({ read: 6, created: 6 });

    await sources.update(workspaceId, source.id, { config: { total: 9, page: 4 } });
    const second = startedRun(await sync.sync(source.id));
    expect(second.stats.people).toMatchObject({ read: 3, created: 3, updated: 0 });
    const full = startedRun(await sync.sync(source.id, { mode: 'full' }));
    expect(full.stats.people).toMatchObject({ read: 9, created: 0, events: 0 });
    expect(counting.startedFrom).toEqual([undefined, { offset: 6 }, undefined]);
    const [{ state }] = await core.db.dataSource.query(`SELECT state FROM sync_states WHERE source_id = $1`, [source.id]);
    expect(state).toEqual({ offset: 9 });
  });

  it('ingests a large page in batches of at most SYNC_BATCH_SIZE facts, each published after its commit', async () => {
    const workspaceId = await core.workspace();
    const total = SYNC_BATCH_SIZE + 200;
    const source = await sources.create(workspaceId, { connectorId: 'counting', name: 'people', config: { total, page: total } });
    const published: number[] = [];
    const unsubscribe = core.app.get(ProfileChangesService).subscribe((change) => {
      if (change.workspaceId === workspaceId) published.push(change.profileIds.length);
    });
    try {
      const done = startedRun(await sync.sync(source.id));
      expect(done.stats.people).toMatchObject({ read: total, created: total });
    } finally {
      unsubscribe();
    }
    expect(published).toEqual([SYNC_BATCH_SIZE, 200]);
  });

  it('fails a rate-limited run as retryable, leaving the source in good standing', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'counting', name: 'people', config: { total: 3, page: 3 } });
    counting.rateLimitOnce = true;
    const limited = startedRun(await sync.sync(source.id));
    expect(limited).toMatchObject({ status: 'failed', retryable: true });
    expect(limited.error).toContain('HTTP 429');
    expect((await sources.get(workspaceId, source.id)).status).toBe('ok');
    const retried = startedRun(await sync.sync(source.id));
    expect(retried).toMatchObject({ status: 'succeeded', retryable: false });
    expect(retried.stats.people).toMatchObject({ read: 3, created: 3 });
  });

  it('fails a run whose credentials are refused and marks the source as needing attention, without leaking the secret', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'keyed', name: 'crm', config: { apiKey: 'revoked-key-999', account: 'acme' } });
    const failed = startedRun(await sync.sync(source.id));
    expect(failed).toMatchObject({ status: 'failed', retryable: false });
    expect(failed.error).toContain('credentials refused');
    expect(failed.error).not.toContain('revoked-key-999');
    const after = await sources.get(workspaceId, source.id);
    expect(after.status).toBe('needs_attention');
    expect(after.statusReason).toContain('credentials refused');

    await sources.update(workspaceId, source.id, { config: { apiKey: 'good-key-123', account: 'acme' } });
    expect(startedRun(await sync.sync(source.id)).status).toBe('succeeded');
    expect((await sources.get(workspaceId, source.id)).status).toBe('ok');
  });

  it('resumes a run that failed after k checkpoints and ends with exactly the records of an uninterrupted run', async () => {
    const config = { total: 23, page: 4 };
    const clean = await core.workspace();
    const cleanSource = await sources.create(clean, { connectorId: 'counting', name: 'people', config });
    expect(startedRun(await sync.sync(cleanSource.id, { mode: 'full' })).status).toBe('succeeded');

    const crashed = await core.workspace();
    const source = await sources.create(crashed, { connectorId: 'counting', name: 'people', config });
    counting.failAfterCheckpoints = 2;
    counting.startedFrom = [];
    const failed = startedRun(await sync.sync(source.id, { mode: 'full' }));
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain('HTTP 503');
    const [mid] = await core.db.dataSource.query(`SELECT state, in_progress FROM sync_states WHERE source_id = $1`, [source.id]);
    expect(mid).toEqual({ state: { offset: 8 }, in_progress: true });

    counting.failAfterCheckpoints = undefined;
    const resumed = startedRun(await sync.sync(source.id, { mode: 'full' }));
    expect(resumed.status).toBe('succeeded');
    // The interrupted full sync resumed from its last committed checkpoint, not from the start.
    expect(counting.startedFrom).toEqual([undefined, { offset: 8 }]);

    const snapshot = async (workspaceId: string) => ({
      records: await core.db.dataSource.query(
        `SELECT r.source, r.external_id, r.traits, p.traits AS profile_traits FROM source_records r JOIN profiles p ON p.id = r.profile_id
         WHERE r.workspace_id = $1 ORDER BY r.external_id`,
        [workspaceId],
      ),
      events: await core.db.dataSource.query(`SELECT type, dedupe_key, occurred_at, properties FROM events WHERE workspace_id = $1 ORDER BY dedupe_key`, [workspaceId]),
      profiles: (await core.db.dataSource.query(`SELECT count(*)::int AS n FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`, [workspaceId]))[0].n,
      identities: await core.db.dataSource.query(`SELECT type, value FROM identities WHERE workspace_id = $1 ORDER BY value`, [workspaceId]),
    });
    const expected = await snapshot(clean);
    const actual = await snapshot(crashed);
    expect(expected.profiles).toBe(23);
    expect(expected.events).toHaveLength(23);
    expect(actual).toEqual(expected);

    // A fresh full sync after a finished one starts from the beginning again.
    counting.startedFrom = [];
    expect(startedRun(await sync.sync(source.id, { mode: 'full' })).status).toBe('succeeded');
    expect(counting.startedFrom).toEqual([undefined]);
  });

  it('takes over a run whose process died (no heartbeat) and resumes from its checkpoint', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'counting', name: 'people', config: { total: 10, page: 5 } });
    await core.db.dataSource.query(
      `INSERT INTO sync_runs (workspace_id, source_id, status, trigger, mode, started_at, heartbeat_at) VALUES ($1, $2, 'running', 'schedule', 'full', now() - interval '10 minutes', now() - interval '5 minutes')`,
      [workspaceId, source.id],
    );
    await core.db.dataSource.query(`INSERT INTO sync_states (workspace_id, source_id, stream, state, in_progress) VALUES ($1, $2, 'people', '{"offset": 5}', true)`, [
      workspaceId,
      source.id,
    ]);
    counting.startedFrom = [];
    const resumed = startedRun(await sync.sync(source.id, { mode: 'full' }));
    expect(resumed.status).toBe('succeeded');
    expect(counting.startedFrom).toEqual([{ offset: 5 }]);
    const statuses = await core.db.dataSource.query(`SELECT status, error FROM sync_runs WHERE source_id = $1 ORDER BY created_at`, [source.id]);
    expect(statuses).toEqual([
      { status: 'failed', error: 'interrupted: the process running it stopped' },
      { status: 'succeeded', error: null },
    ]);
  });

  it('runs at most one sync of a source at a time: a second start reports it is already running', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'counting', name: 'people', config: { total: 12, page: 3 } });
    counting.delayMs = 50;
    const outcomes = await Promise.all([sync.sync(source.id), sync.sync(source.id), sync.sync(source.id)]);
    const started = outcomes.filter((o) => o.started);
    expect(started).toHaveLength(1);
    expect(outcomes.filter((o) => !o.started)).toEqual([
      { started: false, reason: 'already_running', runningRunId: started[0]!.started ? started[0]!.run.id : undefined },
      { started: false, reason: 'already_running', runningRunId: started[0]!.started ? started[0]!.run.id : undefined },
    ]);
    const runs = await core.db.dataSource.query(`SELECT status FROM sync_runs WHERE source_id = $1`, [source.id]);
    expect(runs).toEqual([{ status: 'succeeded' }]);
  });

  it('records the stream read and the connector\'s warnings (secrets redacted); pages runs and a run\'s dead letters; refuses to cancel an ended run', async () => {
    const runs = core.app.get(SyncRunsService);
    const workspaceId = await core.workspace();
    const keyed = await sources.create(workspaceId, { connectorId: 'keyed', name: 'crm', config: { apiKey: 'good-key-123', account: 'acme' } });
    const first = startedRun(await sync.sync(keyed.id));
    const second = startedRun(await sync.sync(keyed.id));
    expect(second).toMatchObject({ status: 'succeeded', currentStream: 'people', cancelRequested: false, warnings: [{ message: 'reading with key [redacted]', count: 1 }] });

    const page = await runs.page(workspaceId, keyed.id, { limit: 1 });
    expect(page.data.map((r) => r.id)).toEqual([second.id]);
    expect((await runs.page(workspaceId, keyed.id, { limit: 1, cursor: page.nextCursor! })).data.map((r) => r.id)).toEqual([first.id]);
    expect(await runs.page(await core.workspace(), keyed.id)).toEqual({ data: [], nextCursor: null });
    await expect(runs.requestCancel(second.id, workspaceId)).rejects.toMatchObject({ code: 'SYNC_RUN_ENDED' });

    const badDir = mkdtempSync(join(tmpdir(), 'portrait-sync-bad-'));
    writeFileSync(join(badDir, 'bad.csv'), 'Visit ID,E-mail,First name,Visited at\nB-1,,Nobody,2026-01-02T10:00:00Z\nB-2,,Nobody,2026-01-02T10:00:00Z\n');
    const csvSource = await sources.create(workspaceId, { connectorId: 'csv', name: 'bad', config: csvConfig(badDir) });
    const csvRun = startedRun(await sync.sync(csvSource.id));
    // Both rows are dead-lettered in one transaction (one created_at): pages follow the id, not the file's order.
    const letters = await runs.deadLettersOfRun(workspaceId, csvRun.id, { limit: 1 });
    expect(letters.data).toEqual([expect.objectContaining({ runId: csvRun.id })]);
    expect(letters.data[0]).not.toHaveProperty('payload');
    const rest = await runs.deadLettersOfRun(workspaceId, csvRun.id, { cursor: letters.nextCursor! });
    expect(rest).toEqual({ data: [expect.objectContaining({ runId: csvRun.id })], nextCursor: null });
    expect([letters.data[0]!.location, rest.data[0]!.location].sort()).toEqual(['bad.csv line 2', 'bad.csv line 3']);
    const lineTwo = [letters.data[0]!, rest.data[0]!].find((letter) => letter.location === 'bad.csv line 2')!;
    expect(await runs.deadLetterOfRun(workspaceId, csvRun.id, lineTwo.id)).toMatchObject({ payload: ['B-1', '', 'Nobody', '2026-01-02T10:00:00Z'] });
    await expect(runs.deadLetterOfRun(workspaceId, first.id, letters.data[0]!.id)).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
    rmSync(badDir, { recursive: true, force: true });
  });

  it('cancels a running sync between batches, keeping the checkpoints committed so far', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'counting', name: 'people', config: { total: 200, page: 2 } });
    counting.delayMs = 20;
    const running = sync.sync(source.id);
    let runId: string | undefined;
    while (!runId) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      runId = (await core.app.get(SyncRunsService).running(source.id))?.id;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sync.cancel(runId, workspaceId);
    const cancelled = startedRun(await running);
    expect(cancelled.status).toBe('cancelled');
    const [state] = await core.db.dataSource.query(`SELECT state, in_progress FROM sync_states WHERE source_id = $1`, [source.id]);
    expect(state.in_progress).toBe(true);
    const [{ count }] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM source_records WHERE workspace_id = $1`, [workspaceId]);
    expect(count).toBe(state.state.offset);
    expect(count).toBeLessThan(200);
  });
});
