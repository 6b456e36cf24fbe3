import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BullmqSyncScheduler, loadConfig, PortraitCoreModule, SourcesService, SyncRunsService, SyncScheduler, WorkspacesService, type SyncRunView } from '@portrait/core';
import { createTestDatabase, freePort, redisAnswers, startNodeProcess, testRedis, type TestDatabase, type TestProcess } from '@portrait/core/testing';
import { builtInConnectors } from '@portrait/connectors';

/** The built worker, started as an operator starts it. */
const WORKER_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');
const SUITE = 'distributed syncs: two worker processes sharing BullMQ jobs';
/** CI exports REDIS_URL when its Redis answers; a developer's machine may have the same local Redis. */
const { url: REDIS_URL, available } = await testRedis(SUITE);
const SECRET_KEY = 'w'.repeat(40);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RunRow {
  source_id: string;
  status: string;
  trigger: string;
  run_by: string;
  started_at: Date;
  finished_at: Date | null;
}

/** Starts one worker process on the test database and waits until it answers /healthz. */
async function startWorker(databaseUrl: string, dataDir: string): Promise<TestProcess> {
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '4',
    REDIS_URL,
    PORTRAIT_SECRET_KEY: SECRET_KEY,
    PORTRAIT_DATA_DIR: dataDir,
    PORTRAIT_HOST: '127.0.0.1',
    WORKER_PORT: String(port),
    LOG_LEVEL: 'warn',
  };
  return startNodeProcess(WORKER_MAIN, env, `http://127.0.0.1:${port}/healthz`);
}

// The distributed mode needs a Redis: see testRedis for when the suite may be skipped.
(available ? describe : describe.skip)(SUITE, () => {
  let db: TestDatabase;
  /** An admin-like process: it saves sources and asks for runs, and never runs one. */
  let admin: INestApplicationContext;
  let workers: TestProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(WORKER_MAIN)) throw new Error(`${WORKER_MAIN} is missing: build the worker first (pnpm turbo run build --filter=@portrait/worker)`);
    if (!(await redisAnswers(REDIS_URL))) throw new Error(`Redis does not answer at ${REDIS_URL}: the distributed mode needs it (start redis-server, or set REDIS_URL)`);
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'portrait-worker-sync-'));
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL, PORTRAIT_SECRET_KEY: SECRET_KEY });
    admin = await NestFactory.createApplicationContext(
      PortraitCoreModule.forRoot({ config, databaseUrl: db.url, appName: 'admin', observability: false, connectors: builtInConnectors }),
      { logger: false },
    );
    workers = await Promise.all([startWorker(db.url, dir), startWorker(db.url, dir)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    const scheduler = admin?.get(SyncScheduler);
    if (scheduler instanceof BullmqSyncScheduler) await scheduler.removeQueue();
    await admin?.close();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs 5 sources on a 1-second schedule across both workers, never one source twice at a time; a "sync now" is queued by the admin and run by a worker', async () => {
    expect(admin.get(SyncScheduler)).toBeInstanceOf(BullmqSyncScheduler);
    const workspace = await admin.get(WorkspacesService).create('distributed');
    const sources = admin.get(SourcesService);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sourceDir = join(dir, `s${i}`);
      mkdirSync(sourceDir);
      writeFileSync(join(sourceDir, 'people.csv'), `Id,E-mail\n${i}-1,a${i}@example.com\n${i}-2,b${i}@example.com\n`);
      const created = await sources.create(workspace.id, {
        connectorId: 'csv',
        name: `source-${i}`,
        schedule: '* * * * * *',
        config: { source: `csv-s${i}`, directory: sourceDir, mapping: { externalId: 'Id', identities: { 'E-mail': 'email' } } },
      });
      ids.push(created.id);
    }

    await sleep(7000);
    for (const id of ids) await sources.disable(workspace.id, id);
    for (let i = 0; i < 100; i++) {
      const [{ running }] = await db.dataSource.query(`SELECT count(*)::int AS running FROM sync_runs WHERE status IN ('queued', 'running')`);
      if (running === 0) break;
      await sleep(100);
    }

    const runs: RunRow[] = await db.dataSource.query(`SELECT source_id, status, trigger, run_by, started_at, finished_at FROM sync_runs ORDER BY started_at`);
    for (const id of ids) {
      const own = runs.filter((r) => r.source_id === id);
      expect(own.length).toBeGreaterThanOrEqual(3);
      expect(own.every((r) => r.status === 'succeeded' && r.trigger === 'schedule')).toBe(true);
      for (let i = 1; i < own.length; i++) {
        expect(new Date(own[i]!.started_at).getTime()).toBeGreaterThanOrEqual(new Date(own[i - 1]!.finished_at!).getTime());
      }
    }
    // Both processes took jobs, and nothing ran in the admin process.
    const pids = workers.map((w) => String(w.child.pid));
    const ranBy = new Set(runs.map((r) => r.run_by.split(':').pop()));
    expect([...ranBy].sort()).toEqual([...pids].sort());
    const [{ people }] = await db.dataSource.query(`SELECT count(*)::int AS people FROM profiles WHERE workspace_id = $1`, [workspace.id]);
    expect(people).toBe(10);

    const queued = await admin.get(SyncScheduler).runNow(ids[0]!, { mode: 'full', workspaceId: workspace.id });
    expect(queued.status).toBe('queued');
    let done: SyncRunView | undefined;
    for (let i = 0; i < 100 && !done; i++) {
      const run = await admin.get(SyncRunsService).get(queued.id);
      if (run.status !== 'queued' && run.status !== 'running') done = run;
      else await sleep(100);
    }
    expect(done).toMatchObject({ status: 'succeeded', trigger: 'manual', mode: 'full' });
    expect(done!.stats.rows).toMatchObject({ read: 2, created: 0 });
    expect(pids).toContain(done!.runBy!.split(':').pop());
  }, 60_000);
});
