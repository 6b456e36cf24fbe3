import { once } from 'node:events';
import { ProfileRecomputeService, SourcesService, SyncRunsService, SyncService } from '@portrait/core';
import { createTestCore, startedRun, type TestCore } from '@portrait/core/testing';
import { forkSourceChild } from '@portrait/testkit';
import connector from '../src/index.js';
import { ShopifySandbox } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

/**
 * A full sync stopped in the middle of streaming a bulk operation's file (as when its process stops)
 * resumes from its last checkpoint — the same bulk operation, the records after the last committed
 * batch — and ends with exactly what an uninterrupted sync of the same shop stores.
 */
describe('Shopify sync stopped mid-bulk', () => {
  let core: TestCore;
  let sandbox: ShopifySandbox;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'r'.repeat(40) }, connectors: [connector] });
    sandbox = await ShopifySandbox.start({ shop: 'resume-shop.myshopify.com', customers: 300, orders: 1500, plan: 'plus' });
  });
  afterAll(async () => {
    await sandbox?.close();
    await core?.close();
  });

  const snapshot = async (workspaceId: string) => {
    const q = (sql: string) => core.db.dataSource.query(sql, [workspaceId]);
    return {
      events: await q(`SELECT type, dedupe_key, occurred_at, properties FROM events WHERE workspace_id = $1 ORDER BY dedupe_key`),
      records: await q(`SELECT source, external_id, traits FROM source_records WHERE workspace_id = $1 ORDER BY external_id`),
      identities: await q(`SELECT type, value FROM identities WHERE workspace_id = $1 ORDER BY type, value`),
      // Compared as a set; days_since_last_order depends on when it was computed.
      profiles: (await q(`SELECT traits, computed - 'days_since_last_order' AS computed FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`))
        .map((p: unknown) => JSON.stringify(p))
        .sort(),
      consents: (await q(`SELECT count(*)::int AS n FROM consents WHERE workspace_id = $1`))[0].n,
    };
  };

  let clean: string;
  const cleanRun = async () => {
    if (clean) return clean;
    clean = await core.workspace();
    const cleanSource = await core.app.get(SourcesService).create(clean, { connectorId: 'shopify', name: 'Shop', config: sandboxConfig(sandbox) });
    expect(startedRun(await core.app.get(SyncService).sync(cleanSource.id, { mode: 'full' })).status).toBe('succeeded');
    return clean;
  };
  const ordersBulks = () => sandbox.bulk.list().filter((op) => op.query.includes('orders')).length;

  it('a Portrait process killed (SIGKILL) mid-bulk: the next one takes the run over, reads on from the checkpoint and ends as an uninterrupted run', async () => {
    const reference = await cleanRun();
    const workspaceId = await core.workspace();
    const source = await core.app.get(SourcesService).create(workspaceId, { connectorId: 'shopify', name: 'Shop', config: sandboxConfig(sandbox) });
    const child = forkSourceChild(new URL('./child/sync-child.ts', import.meta.url), [core.db.url, source.id, sandbox.shop, sandbox.url], 'r'.repeat(40));
    const exited = once(child, 'exit');
    let mid: { state: { bulkId: string; rootsDone: number } } | undefined;
    for (let i = 0; i < 9000 && !mid && child.exitCode === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      [mid] = await core.db.dataSource.query(
        `SELECT state FROM sync_states WHERE source_id = $1 AND stream = 'orders' AND state->>'phase' = 'bulk' AND (state->>'rootsDone')::int >= 250`,
        [source.id],
      );
    }
    child.kill('SIGKILL');
    await exited;
    expect(mid).toBeDefined();
    const [kept] = await core.db.dataSource.query(`SELECT state, in_progress FROM sync_states WHERE source_id = $1 AND stream = 'orders'`, [source.id]);
    expect(kept).toMatchObject({ in_progress: true, state: { phase: 'bulk', bulkId: mid!.state.bulkId } });
    expect(kept.state.rootsDone).toBeLessThan(1500);

    // The dead process's run holds the source until its lease lapses (RUN_LEASE_MS without a heartbeat).
    const sync = core.app.get(SyncService);
    expect(await sync.sync(source.id, { mode: 'full' })).toMatchObject({ started: false, reason: 'already_running' });
    await core.db.dataSource.query(`UPDATE sync_runs SET heartbeat_at = now() - interval '2 minutes' WHERE source_id = $1 AND status = 'running'`, [source.id]);
    const bulksBefore = ordersBulks();
    const resumed = startedRun(await sync.sync(source.id, { mode: 'full' }));
    expect(resumed.status).toBe('succeeded');
    expect(ordersBulks()).toBe(bulksBefore);
    expect(resumed.stats.orders!.read).toBe(1500 - kept.state.rootsDone);
    const runs = await core.db.dataSource.query(`SELECT status, error FROM sync_runs WHERE source_id = $1 ORDER BY created_at`, [source.id]);
    expect(runs).toEqual([
      { status: 'failed', error: 'interrupted: the process running it stopped' },
      { status: 'succeeded', error: null },
    ]);
    // Trait recomputes the killed process had queued after a commit are done by the worker's sweep.
    await core.app.get(ProfileRecomputeService).recomputePending(0);
    expect(await snapshot(workspaceId)).toEqual(await snapshot(reference));
  });

  it('a run cancelled mid-bulk resumes the same bulk operation from its last checkpoint and ends as an uninterrupted run', async () => {
    const sources = core.app.get(SourcesService);
    const sync = core.app.get(SyncService);
    const clean = await cleanRun();

    const stopped = await core.workspace();
    const source = await sources.create(stopped, { connectorId: 'shopify', name: 'Shop', config: sandboxConfig(sandbox) });
    const running = sync.sync(source.id, { mode: 'full' });
    // Stop it once the orders' bulk file is partly stored.
    let mid: { state: { phase?: string; bulkId?: string; rootsDone?: number } } | undefined;
    for (let i = 0; i < 3000 && !mid; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      [mid] = await core.db.dataSource.query(
        `SELECT state FROM sync_states WHERE source_id = $1 AND stream = 'orders' AND state->>'phase' = 'bulk' AND (state->>'rootsDone')::int >= 250`,
        [source.id],
      );
    }
    expect(mid).toBeDefined();
    const runId = (await core.app.get(SyncRunsService).running(source.id))!.id;
    await sync.cancel(runId, stopped);
    const cancelled = startedRun(await running);
    expect(cancelled.status).toBe('cancelled');
    const [kept] = await core.db.dataSource.query(`SELECT state, in_progress FROM sync_states WHERE source_id = $1 AND stream = 'orders'`, [source.id]);
    expect(kept.in_progress).toBe(true);
    expect(kept.state).toMatchObject({ phase: 'bulk', bulkId: mid!.state.bulkId });
    expect(kept.state.rootsDone).toBeLessThan(1500);
    const [{ n: storedBefore }] = await core.db.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1 AND type = 'order_placed'`, [stopped]);
    expect(storedBefore).toBe(kept.state.rootsDone);

    const bulksBefore = ordersBulks();
    const resumed = startedRun(await sync.sync(source.id, { mode: 'full' }));
    expect(resumed.status).toBe('succeeded');
    // No new bulk operation for orders: the stored one was read on from where the run stopped.
    expect(ordersBulks()).toBe(bulksBefore);
    expect(resumed.stats.orders!.read).toBe(1500 - kept.state.rootsDone);

    expect(await snapshot(stopped)).toEqual(await snapshot(clean));
  });
});
