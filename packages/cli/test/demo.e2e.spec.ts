import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { startDemoSources, type RunningDemo } from '../src/commands/demo-sources.js';
import { withCoreAt } from '../src/commands/with-core.js';
import { cliEnv } from './support/run-cli.js';

/** The built worker, as `pnpm start` runs it. */
const WORKER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'apps', 'worker', 'dist', 'main.js');
const SECRET_KEY = 'w'.repeat(40);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/**
 * `pnpm start`'s demo across processes: this process starts the built-in sandboxes and fills the `demo`
 * workspace (as the start command does); the worker, a process of its own that knows nothing of the
 * sandboxes, runs the queued syncs from the sources' stored configuration.
 */
describe('the demo workspace', () => {
  let db: TestDatabase;
  let dataDir: string;
  let demo: RunningDemo | undefined;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'portrait-demo-'));
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = once(worker, 'exit');
      worker.kill('SIGTERM');
      await exited;
    }
    await demo?.close();
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is synced by the worker process: the store visits, the Shopify shop and the Mailchimp audience, meeting on the same people', async () => {
    const config = loadConfig({ DATABASE_URL: db.url, PORTRAIT_DATA_DIR: dataDir, PORTRAIT_SECRET_KEY: SECRET_KEY, LOG_LEVEL: 'warn' });
    demo = await withCoreAt(config, db.url, (app) => startDemoSources(app, config));
    expect(demo.sources.map((s) => s.connectorId).sort()).toEqual(['csv', 'mailchimp', 'shopify']);

    worker = spawn(process.execPath, [WORKER], {
      env: cliEnv({ DATABASE_URL: db.url, PORTRAIT_SECRET_KEY: SECRET_KEY, PORTRAIT_DATA_DIR: dataDir, WORKER_PORT: String(await freePort()) }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const runs = () =>
      db.dataSource.query<{ name: string; status: string; error: string | null; stats: Record<string, { read: number }> }[]>(
        `SELECT s.name, r.status, r.error, r.stats FROM sync_runs r JOIN sources s ON s.id = r.source_id ORDER BY s.name`,
      );
    let done = await runs();
    while (worker.exitCode === null && done.some((run) => run.status === 'queued' || run.status === 'running')) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      done = await runs();
    }
    expect(done.map(({ name, status, error }) => ({ name, status, error }))).toEqual([
      { name: 'Mailchimp (demo)', status: 'succeeded', error: null },
      { name: 'Shopify (demo)', status: 'succeeded', error: null },
      { name: 'Store visits (demo)', status: 'succeeded', error: null },
    ]);
    expect(done[0]!.stats).toMatchObject({ members: { read: 240 } });
    expect(done[1]!.stats).toMatchObject({ customers: { read: 250 }, orders: { read: 900 } });

    const [both] = await db.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM profiles p
        WHERE p.merged_into IS NULL
          AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.source = 'csv-store-visits')
          AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'order_placed')`,
    );
    expect(both!.n).toBeGreaterThan(0);
    const [readersWhoBuy] = await db.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM profiles p
        WHERE p.merged_into IS NULL
          AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'email_opened')
          AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id AND e.type = 'order_placed')`,
    );
    expect(readersWhoBuy!.n).toBeGreaterThan(0);
  }, 120_000);
});
