import { SourcesService, SyncService } from '@portrait/core';
import { createTestCore, startedRun, type TestCore } from '@portrait/core/testing';
import connector from '../src/index.js';
import { ShopifySandbox, verifyShopTruth } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

/**
 * Truth at a CI-friendly size: a full sync of a 1,000-customer / 4,000-order shop ends with exactly
 * the shop's profiles, events and computed traits; an incremental sync after the shop changes ingests
 * exactly those changes; one without changes writes nothing.
 */
describe('Shopify sync truth (1,000 customers, 4,000 orders)', () => {
  let core: TestCore;
  let sandbox: ShopifySandbox;
  let sources: SourcesService;
  let sync: SyncService;
  let workspaceId: string;
  let sourceId: string;
  const query = (sql: string, params: unknown[]) => core.db.dataSource.query(sql, params);
  const count = async (table: string) => (await query(`SELECT count(*)::int AS n FROM ${table} WHERE workspace_id = $1`, [workspaceId]))[0]!.n as number;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 't'.repeat(40) }, connectors: [connector] });
    sources = core.app.get(SourcesService);
    sync = core.app.get(SyncService);
    sandbox = await ShopifySandbox.start({ shop: 'truth-shop.myshopify.com', customers: 1000, orders: 4000, plan: 'plus' });
    workspaceId = await core.workspace();
    sourceId = (await sources.create(workspaceId, { connectorId: 'shopify', name: 'Shop', config: sandboxConfig(sandbox) })).id;
  });
  afterAll(async () => {
    await sandbox?.close();
    await core?.close();
  });

  it('a full sync ends with the shop’s customers, orders, refunds, returns and each buyer’s computed traits', async () => {
    const done = startedRun(await sync.sync(sourceId));
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.stats.customers).toMatchObject({ read: 1000, rejected: 0, deadLettered: 0 });
    expect(done.stats.orders).toMatchObject({ read: 4000, rejected: 0, deadLettered: 0 });
    const report = await verifyShopTruth(query, workspaceId, sandbox);
    expect(report.problems).toEqual([]);
    expect(report.checkedProfiles).toBeGreaterThan(800);
    expect(report.checkedBuyers).toBeGreaterThan(500);
  });

  it('each buyer’s lifetime_value is orders − refunds to the cent, and favourite_product_type the most bought type', async () => {
    const report = await verifyShopTruth(query, workspaceId, sandbox);
    expect(report.defaultTraitProblems).toEqual([]);
  });

  it('an incremental sync after the shop changes 100 customers and adds 300 orders ingests exactly those', async () => {
    const changed = sandbox.change({ customers: 100, orders: 300 });
    const eventsBefore = await count('events');
    const done = startedRun(await sync.sync(sourceId));
    expect(done.status).toBe('succeeded');
    // The 100 changed customers, and those whose totals (and so updatedAt) the new orders moved.
    expect(changed.changedCustomers).toHaveLength(100);
    expect(done.stats.customers!.read).toBe(changed.customers.length);
    expect(done.stats.orders).toMatchObject({ read: 300, events: 300 });
    expect(await count('events')).toBe(eventsBefore + 300);
    const report = await verifyShopTruth(query, workspaceId, sandbox);
    expect(report.problems).toEqual([]);
  });

  it('a sync with no change upstream reads and writes nothing', async () => {
    const before = { events: await count('events'), history: await count('trait_changes'), records: await query(`SELECT max(updated_at) AS at FROM source_records WHERE workspace_id = $1`, [workspaceId]) };
    const done = startedRun(await sync.sync(sourceId));
    expect(done.status).toBe('succeeded');
    expect(done.stats.customers).toMatchObject({ read: 0, created: 0, updated: 0, events: 0 });
    expect(done.stats.orders).toMatchObject({ read: 0, created: 0, updated: 0, events: 0 });
    expect({ events: await count('events'), history: await count('trait_changes'), records: await query(`SELECT max(updated_at) AS at FROM source_records WHERE workspace_id = $1`, [workspaceId]) }).toEqual(before);
  });
});
