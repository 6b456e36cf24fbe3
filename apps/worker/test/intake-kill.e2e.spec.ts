import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { IntakeLogService, IntakeProcessor } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';

const MESSAGES = 20_000;
const REPLAYED = 500;
const WORKER = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** Message `n` of the run: a track of one of 300 users, deduplicated by its messageId. */
function message(n: number) {
  const userId = `u-${n % 300}`;
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60)).toISOString();
  return {
    source: 'api',
    externalId: `user_id:${userId}`,
    kind: 'person',
    identities: [{ type: 'user_id', value: userId }],
    observedAt: at,
    events: [{ type: 'clicked', occurredAt: at, properties: { n }, dedupeKey: `m-${n}` }],
  };
}

describe('intake processor killed mid-drain', () => {
  let core: TestCore;

  beforeAll(async () => {
    core = await createTestCore();
  });
  afterAll(() => core?.close());

  it('a worker SIGKILLed while draining loses nothing and doubles nothing once another processor resumes', async () => {
    const ws = await core.workspace();
    const log = core.app.get(IntakeLogService);
    for (let from = 0; from < MESSAGES; from += 2000) {
      await log.append(ws, Array.from({ length: 2000 }, (_, i) => message(from + i)));
    }
    // Client retries: some messages appended a second time.
    await log.append(ws, Array.from({ length: REPLAYED }, (_, i) => message(i * 7)));
    const query = (sql: string) => core.db.dataSource.query(sql, [ws]) as Promise<{ n: number }[]>;
    const pending = async () => (await query(`SELECT count(*)::int AS n FROM intake_log WHERE workspace_id = $1`))[0]!.n;

    const worker = spawn(process.execPath, [WORKER], {
      stdio: 'ignore',
      env: { ...process.env, DATABASE_URL: core.db.url, REDIS_URL: '', LOG_LEVEL: 'silent', WORKER_PORT: String(42000 + (process.pid % 1000)) },
    });
    const exited = once(worker, 'exit');
    // Killed once it committed a batch and still has messages left: in the middle of the drain.
    const deadline = Date.now() + 20_000;
    let left = MESSAGES + REPLAYED;
    while (Date.now() < deadline) {
      left = await pending();
      if (left < MESSAGES + REPLAYED) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    worker.kill('SIGKILL');
    await exited;
    left = await pending();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(MESSAGES + REPLAYED);

    // Part of the log was stored before the kill; the rest is still there.
    const [stored] = await query(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1`);
    expect(stored!.n).toBeGreaterThan(0);

    const processor = core.app.get(IntakeProcessor);
    processor.start();
    try {
      expect(await log.waitUntilProcessed({ workspaceId: ws, firstId: '0', lastId: '9223372036854775807' }, 20_000)).toBe(true);
    } finally {
      await processor.stop();
    }
    const [counts] = (await core.db.dataSource.query(
      `SELECT count(*)::int AS total, count(DISTINCT dedupe_key)::int AS distinct FROM events WHERE workspace_id = $1`,
      [ws],
    )) as { total: number; distinct: number }[];
    expect(counts).toEqual({ total: MESSAGES, distinct: MESSAGES });
    expect(await pending()).toBe(0);
  }, 60_000);
});
