import { IntakeLogService, IntakeProcessor } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { createTestApi, type TestApi } from './support/test-api.js';

/** Events stored per dedupe key in a workspace (each should be 1). */
async function eventCounts(db: TestDatabase, ws: string): Promise<Map<string, number>> {
  const rows: { dedupe_key: string; n: number }[] = await db.dataSource.query(
    `SELECT dedupe_key, count(*)::int AS n FROM events WHERE workspace_id = $1 GROUP BY dedupe_key`,
    [ws],
  );
  return new Map(rows.map((r) => [r.dedupe_key, r.n]));
}

const LAST = '9223372036854775807';

describe('tracking intake log', () => {
  let db: TestDatabase;
  let a: TestApi;
  let b: TestApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Two API instances on one database, each draining the log in-process (no REDIS_URL).
    [a, b] = await Promise.all([createTestApi({ db }), createTestApi({ db })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.close();
  });

  const drained = (api: TestApi, ws: string) => api.app.get(IntakeLogService).waitUntilProcessed({ workspaceId: ws, firstId: '0', lastId: LAST }, 20_000);

  it('two processors draining concurrently store every message exactly once; a replayed messageId is stored once', async () => {
    const ws = await a.workspace();
    const key = await a.key(ws, ['events:write']);
    const batches = Array.from({ length: 40 }, (_, n) =>
      Array.from({ length: 25 }, (_, i) => ({ type: 'track', userId: `u-${i % 7}`, event: 'Clicked', messageId: `m-${n}-${i}` })),
    );
    // Half through each instance; every batch sent twice (a client retrying after a timeout).
    const responses = await Promise.all(
      [...batches, ...batches].map((batch, n) => (n % 2 ? a : b).call(key, '/v1/batch', { method: 'POST', body: { batch } })),
    );
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    expect(await drained(a, ws)).toBe(true);
    const counts = await eventCounts(db, ws);
    expect(counts.size).toBe(1000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const [left] = await db.dataSource.query(`SELECT count(*)::int AS n FROM intake_log WHERE workspace_id = $1`, [ws]);
    expect(left.n).toBe(0);
  });

  it('keeps a workspace order: an identify then a track of the same user land on one profile', async () => {
    const ws = await a.workspace();
    const key = await a.key(ws, ['events:write']);
    for (let i = 0; i < 20; i++) {
      await (i % 2 ? a : b).call(key, '/v1/identify', { method: 'POST', body: { anonymousId: `anon-${i}`, userId: `user-${i}`, traits: { step: i } } });
      await (i % 2 ? b : a).call(key, '/v1/track', { method: 'POST', body: { anonymousId: `anon-${i}`, event: 'Viewed', messageId: `v-${i}` } });
    }
    expect(await drained(a, ws)).toBe(true);
    const rows: { profiles: number }[] = await db.dataSource.query(
      `SELECT count(DISTINCT profile_id)::int AS profiles FROM events WHERE workspace_id = $1`,
      [ws],
    );
    const profiles: { n: number }[] = await db.dataSource.query(`SELECT count(*)::int AS n FROM profiles WHERE workspace_id = $1`, [ws]);
    expect(rows[0]!.profiles).toBe(20);
    expect(profiles[0]!.n).toBe(20);
  });

  it('Portrait-Wait: 200 with processed when on the profile, 202 when the wait runs out, 400 for a bad value', async () => {
    const ws = await a.workspace();
    const key = await a.key(ws, ['events:write']);
    const waited = await a.call(key, '/v1/track', { method: 'POST', body: { userId: 'w', event: 'Done' }, headers: { 'portrait-wait': '5' } });
    expect(waited.status).toBe(200);
    expect(await waited.json()).toMatchObject({ success: true, processed: true });

    const bad = await a.call(key, '/v1/track', { method: 'POST', body: { userId: 'w', event: 'Done' }, headers: { 'portrait-wait': 'soon' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'headers.portrait-wait' }] });

    await Promise.all([a.app.get(IntakeProcessor).stop(), b.app.get(IntakeProcessor).stop()]);
    try {
      const timedOut = await a.call(key, '/v1/track', { method: 'POST', body: { userId: 'w', event: 'Later' }, headers: { 'portrait-wait': '0.3' } });
      expect(timedOut.status).toBe(202);
      expect(await timedOut.json()).toMatchObject({ success: true, processed: false });
      const [pending] = await db.dataSource.query(`SELECT count(*)::int AS n FROM intake_log WHERE workspace_id = $1`, [ws]);
      expect(pending.n).toBe(1);

      // Metrics report the backlog; readyz reports a stuck processor once the oldest message is old and nothing drains.
      const metrics = await (await fetch(`${a.base}/metrics`)).text();
      expect(metrics).toMatch(/^portrait_intake_backlog_messages\{app="api"\} 1$/m);
      expect(metrics).toMatch(/^portrait_intake_lag_seconds\{app="api"\} [0-9.e-]+$/m);
      expect((await fetch(`${a.base}/readyz`)).status).toBe(200);
      await db.dataSource.query(`UPDATE intake_log SET received_at = now() - interval '2 minutes' WHERE workspace_id = $1`, [ws]);
      await db.dataSource.query(`UPDATE intake_progress SET updated_at = now() - interval '2 minutes'`);
      const stuck = await fetch(`${a.base}/readyz`);
      expect(stuck.status).toBe(503);
      expect(await stuck.json()).toMatchObject({ status: 503 });
    } finally {
      a.app.get(IntakeProcessor).start();
    }
    expect(await drained(a, ws)).toBe(true);
    expect((await fetch(`${a.base}/readyz`)).status).toBe(200);
    expect([...(await eventCounts(db, ws)).values()]).toEqual([1, 1]);
  });
});
