import { EmbeddedSyncScheduler } from '../../src/modules/sync/scheduler/embedded-sync-scheduler.js';
import { SyncScheduler } from '../../src/modules/sync/scheduler/sync-scheduler.js';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import type { SyncRunView } from '../../src/modules/sync/sync-run.js';
import { SyncRunsService } from '../../src/modules/sync/sync-runs.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { counting, countingConnector } from './test-connectors.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunRow {
  id: string;
  status: string;
  trigger: string;
  started_at: Date;
  finished_at: Date | null;
}

describe('embedded scheduler (no REDIS_URL)', () => {
  let core: TestCore;
  let scheduler: SyncScheduler;
  let sources: SourcesService;
  let runs: SyncRunsService;

  beforeAll(async () => {
    // REDIS_URL emptied: the in-process driver, whatever the environment of the test run.
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'e'.repeat(40), REDIS_URL: '' }, connectors: [countingConnector] });
    scheduler = core.app.get(SyncScheduler);
    sources = core.app.get(SourcesService);
    runs = core.app.get(SyncRunsService);
  });
  afterAll(async () => {
    await scheduler.stop();
    await core.close();
  });
  beforeEach(() => {
    counting.failAfterCheckpoints = undefined;
    counting.delayMs = 0;
    counting.rateLimitOnce = false;
  });

  async function finished(runId: string): Promise<SyncRunView> {
    for (let i = 0; i < 200; i++) {
      const run = await runs.get(runId);
      if (run.status !== 'queued' && run.status !== 'running') return run;
      await sleep(50);
    }
    throw new Error(`run ${runId} did not finish`);
  }

  it('is the driver chosen when REDIS_URL is not set', () => {
    expect(scheduler).toBeInstanceOf(EmbeddedSyncScheduler);
  });

  it('keeps a "sync now" queued until a worker starts, which runs it; a cancelled queued run never starts', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'counting', name: 'people', config: { total: 5, page: 2 }, schedule: '0 0 1 1 *' });

    const queued = await scheduler.runNow(source.id, { mode: 'full', workspaceId });
    expect(queued).toMatchObject({ status: 'queued', trigger: 'manual', mode: 'full', startedAt: null });
    const dropped = await scheduler.runNow(source.id);
    expect((await core.app.get(SyncService).cancel(dropped.id, workspaceId)).status).toBe('cancelled');
    // This process has not started the scheduler (like the admin or the API): nothing runs here.
    await sleep(300);
    expect((await runs.get(queued.id)).status).toBe('queued');

    await scheduler.start();
    const run = await finished(queued.id);
    expect(run).toMatchObject({ status: 'succeeded', trigger: 'manual', mode: 'full', error: null });
    expect(run.stats.people).toMatchObject({ read: 5, created: 5 });
    expect(run.runBy).toMatch(new RegExp(`:${process.pid}$`));
    expect(await runs.get(dropped.id)).toMatchObject({ status: 'cancelled', startedAt: null });
    const [{ count }] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM sync_runs WHERE source_id = $1`, [source.id]);
    expect(count).toBe(2);
    await scheduler.stop();
  });

  it('runs enabled sources on their cron schedule, never two runs of one source at once, and nothing once stopped', async () => {
    const workspaceId = await core.workspace();
    const busy = await sources.create(workspaceId, { connectorId: 'counting', name: 'busy', config: { total: 8, page: 2 }, schedule: '* * * * * *' });
    const off = await sources.create(workspaceId, { connectorId: 'counting', name: 'off', config: { total: 2, page: 2 }, schedule: '* * * * * *', enabled: false });
    // The first run takes about 1.2 s (4 pages, 300 ms each): ticks meanwhile find the source busy.
    counting.delayMs = 300;
    await scheduler.start();
    await sleep(4200);
    await scheduler.stop();
    for (let i = 0; i < 100 && (await runs.running(busy.id)); i++) await sleep(50);

    const own: RunRow[] = await core.db.dataSource.query(`SELECT id, status, trigger, started_at, finished_at FROM sync_runs WHERE source_id = $1 ORDER BY started_at`, [
      busy.id,
    ]);
    expect(own.length).toBeGreaterThanOrEqual(2);
    expect(own.length).toBeLessThanOrEqual(4);
    expect(own.every((r) => r.status === 'succeeded' && r.trigger === 'schedule')).toBe(true);
    for (let i = 1; i < own.length; i++) expect(new Date(own[i]!.started_at).getTime()).toBeGreaterThanOrEqual(new Date(own[i - 1]!.finished_at!).getTime());
    const [{ people }] = await core.db.dataSource.query(`SELECT count(*)::int AS people FROM profiles WHERE workspace_id = $1`, [workspaceId]);
    expect(people).toBe(8);
    const [{ offRuns }] = await core.db.dataSource.query(`SELECT count(*)::int AS "offRuns" FROM sync_runs WHERE source_id = $1`, [off.id]);
    expect(offRuns).toBe(0);

    await sleep(1500);
    const [{ after }] = await core.db.dataSource.query(`SELECT count(*)::int AS after FROM sync_runs WHERE source_id = $1`, [busy.id]);
    expect(after).toBe(own.length);
  });
});
