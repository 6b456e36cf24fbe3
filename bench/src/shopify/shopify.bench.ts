import { SourcesService, SyncService, WorkspacesService } from '@portrait/core';
import shopify from '@portrait/plugin-shopify';
import { ShopifySandbox, verifyShopTruth } from '@portrait/plugin-shopify/sandbox';
import { measured, numberArg, printTable } from '../lib/measure.js';
import { BENCH_DATABASE_URL, succeeded, withScratchCore } from '../lib/scratch-core.js';

/**
 * pnpm bench:shopify — a full sync of a sandbox Shopify shop on the 1,000-points/s plan (Shopify Plus),
 * through the real core into a scratch database, then the truth check at that scale and an
 * incremental sync of 100 changed customers and 300 new orders.
 *
 * Figures: customers/s and orders/s of the full sync (bulk operations) set against the plan's budget —
 * what the restore rate allows a paged read at the connector's query cost per record (a customer costs
 * 5 points, an order up to 138 requested) — and the points the incremental (paged) sync spent against
 * what the plan allowed in that time (its bucket plus the restore rate), with the number of THROTTLED
 * answers (target: 0).
 *
 *   pnpm bench:shopify [--customers=50000] [--orders=200000]   (DATABASE_URL or the local PostgreSQL)
 */

const SCRATCH = 'portrait_bench_shopify';
const customers = numberArg('customers', 50_000);
const orders = numberArg('orders', 200_000);
/** Requested points per record of the connector's paged queries (see plugins/shopify/src/streams). */
const CUSTOMER_POINTS = 5;
const ORDER_POINTS = 138;

async function main() {
  let failed = false;
  await withScratchCore(SCRATCH, [shopify], async ({ app, query }) => {
    const sandbox = await ShopifySandbox.start({ shop: 'bench-shop.myshopify.com', customers, orders, plan: 'plus' });
    try {
      const { restoreRate } = sandbox.plan;
      console.log(`shopify benchmark: ${customers.toLocaleString('en-US')} customers, ${orders.toLocaleString('en-US')} orders, plan ${restoreRate} points/s, on ${new URL(BENCH_DATABASE_URL).host}`);
      const ws = (await app.get(WorkspacesService).create('bench')).id;
      const source = await app.get(SourcesService).create(ws, { connectorId: 'shopify', name: 'Shop', config: { shop: sandbox.shop, accessToken: sandbox.accessToken, allOrders: true } });
      const sync = app.get(SyncService);

      const full = await measured(async () => succeeded(await sync.sync(source.id, { mode: 'full' })));
      const seconds = full.ms / 1000;
      const stats = full.result.stats;
      // Streams run one after the other: customers from the run's start to its stream's last checkpoint, then orders.
      const [{ at: customersDone }] = await query(`SELECT updated_at AS at FROM sync_states WHERE source_id = $1 AND stream = 'customers'`, [source.id]);
      const started = Date.parse(full.result.startedAt!);
      const customerSeconds = (new Date(customersDone).getTime() - started) / 1000;
      const orderSeconds = (Date.parse(full.result.finishedAt!) - new Date(customersDone).getTime()) / 1000;
      const customersPerS = (stats.customers?.read ?? 0) / customerSeconds;
      const ordersPerS = (stats.orders?.read ?? 0) / orderSeconds;
      const truth = await verifyShopTruth(query, ws, sandbox);
      console.log(`full sync: ${seconds.toFixed(1)} s, peak RSS ${(full.peakRss / 2 ** 20).toFixed(0)} MiB, ${sandbox.pointsSpent.toLocaleString('en-US')} points spent, ${sandbox.throttled} THROTTLED`);
      printTable([
        { records: 'customers', read: stats.customers?.read ?? 0, seconds: customerSeconds, 'per s': customersPerS, 'budget per s (paged)': restoreRate / CUSTOMER_POINTS, 'x budget': customersPerS / (restoreRate / CUSTOMER_POINTS) },
        { records: 'orders', read: stats.orders?.read ?? 0, seconds: orderSeconds, 'per s': ordersPerS, 'budget per s (paged)': restoreRate / ORDER_POINTS, 'x budget': ordersPerS / (restoreRate / ORDER_POINTS) },
      ]);
      console.log(
        `truth: ${truth.problems.length + truth.defaultTraitProblems.length === 0 ? 'equal' : 'DIFFERENT'} (${truth.checkedProfiles.toLocaleString('en-US')} profiles, ${truth.checkedBuyers.toLocaleString('en-US')} buyers compared)`,
      );
      for (const problem of [...truth.problems, ...truth.defaultTraitProblems]) console.log(`  ${problem}`);
      failed ||= truth.problems.length + truth.defaultTraitProblems.length > 0;

      const throttledBefore = sandbox.throttled;
      const pointsBefore = sandbox.pointsSpent;
      const changed = sandbox.change({ customers: 100, orders: 300 });
      const incremental = await measured(async () => succeeded(await sync.sync(source.id)));
      const incStats = incremental.result.stats;
      const spent = sandbox.pointsSpent - pointsBefore;
      // What the plan allowed in that time: the bucket it started with (full after the idle bulk sync) and its restore rate.
      const budget = sandbox.plan.maximumAvailable + restoreRate * (incremental.ms / 1000);
      const exact = incStats.customers?.read === changed.customers.length && incStats.orders?.read === changed.orders.length;
      console.log(
        `incremental sync: ${incStats.customers?.read} customers (${changed.customers.length} changed), ${incStats.orders?.read} orders (${changed.orders.length} new) in ${(incremental.ms / 1000).toFixed(1)} s — ` +
          `${spent.toLocaleString('en-US')} points of the ${Math.round(budget).toLocaleString('en-US')} the plan allowed (bucket of ${sandbox.plan.maximumAvailable.toLocaleString('en-US')} + ${restoreRate}/s), ${sandbox.throttled - throttledBefore} THROTTLED${exact ? '' : ' — NOT EXACTLY THE CHANGES'}`,
      );
      failed ||= !exact;
      const after = await verifyShopTruth(query, ws, sandbox);
      console.log(`truth after the incremental sync: ${after.problems.length + after.defaultTraitProblems.length === 0 ? 'equal' : 'DIFFERENT'}`);
      for (const problem of [...after.problems, ...after.defaultTraitProblems]) console.log(`  ${problem}`);
      failed ||= after.problems.length + after.defaultTraitProblems.length > 0;
    } finally {
      await sandbox.close();
    }
  });
  if (failed) process.exitCode = 1;
}

await main();
