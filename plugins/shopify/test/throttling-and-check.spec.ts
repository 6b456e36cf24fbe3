import { createConnectorContext } from '@portrait/connector-sdk';
import { readStream } from '@portrait/testkit';
import connector from '../src/index.js';
import { ShopifySandbox } from '../src/sandbox/index.js';
import { shopifyConfigSchema } from '../src/shopify.config.js';
import { SHOPIFY_API_VERSION } from '../src/transport/admin-client.js';
import { sandboxConfig } from './sandbox-config.js';

const ctx = () => createConnectorContext({ retry: { baseDelayMs: 50, maxDelayMs: 1000 } });
let shops = 0;
/** A fresh shop domain per test: Shopify keeps one cost bucket per shop, and so does the connector's pacer. */
const shop = () => `throttle-${++shops}-${process.pid}.myshopify.com`;

describe('Shopify cost-based pacing', () => {
  let sandbox: ShopifySandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('pages through a shop on the 100-points/s plan at the restore rate without ever being THROTTLED', async () => {
    sandbox = await ShopifySandbox.start({ shop: shop(), customers: 40, orders: 70, plan: 'standard', bulkRunMs: 600_000 });
    // A bulk operation already running for the shop: the connector pages instead (the costly path).
    sandbox.occupyBulkQueries(SHOPIFY_API_VERSION);
    const config = shopifyConfigSchema.parse(sandboxConfig(sandbox));
    const started = Date.now();
    const outcome = await readStream(connector, { stream: 'orders', mode: 'full', state: undefined }, config, ctx());
    const seconds = (Date.now() - started) / 1000;
    expect(outcome.facts).toHaveLength(70);
    expect(outcome.invalid).toEqual([]);
    // Pages of 7 orders, each requesting 968 points of a 2,000-point bucket: once the pages had spent
    // more than 1,032 points, each next one waited for the bucket to refill.
    expect(sandbox.requests.filter((r) => r.path.endsWith('graphql.json')).length).toBeGreaterThanOrEqual(10);
    expect(sandbox.pointsSpent).toBeGreaterThan(sandbox.plan.maximumAvailable - 968);
    expect(sandbox.throttled).toBe(0);
    expect(sandbox.bulk.list().filter((op) => op.query.includes('orders'))).toEqual([]);
    // Never faster than the plan allows beyond the initial bucket.
    expect(sandbox.pointsSpent - sandbox.plan.maximumAvailable).toBeLessThanOrEqual(seconds * sandbox.plan.restoreRate + 1000);
  });

  it('waits out a THROTTLED answer ((requested − available) / restoreRate) and reads on', async () => {
    sandbox = await ShopifySandbox.start({ shop: shop(), customers: 30, orders: 30, plan: 'plus', bulkRunMs: 600_000 });
    // Another app drained the shop's bucket.
    sandbox.bucket.take(sandbox.bucket.currentlyAvailable() - 10);
    sandbox.occupyBulkQueries(SHOPIFY_API_VERSION);
    const config = shopifyConfigSchema.parse(sandboxConfig(sandbox));
    const outcome = await readStream(connector, { stream: 'orders', mode: 'full', state: undefined }, config, ctx());
    expect(sandbox.throttled).toBeGreaterThanOrEqual(1);
    expect(outcome.facts).toHaveLength(30);
  });
});

describe('check()', () => {
  let sandbox: ShopifySandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });
  const check = (overrides: Parameters<typeof sandboxConfig>[1]) => connector.check(shopifyConfigSchema.parse(sandboxConfig(sandbox!, overrides)), ctx());

  it('tells a refused token, an unknown shop, a missing scope and a missing read_all_orders apart', async () => {
    sandbox = await ShopifySandbox.start({ shop: shop(), customers: 5, orders: 5, scopes: ['read_orders', 'read_returns'] });
    const badToken = await check({ accessToken: 'shpat_wrong' });
    expect(badToken).toEqual({ ok: false, reason: expect.stringContaining('HTTP 401') });
    expect(JSON.stringify(badToken)).not.toContain('shpat_wrong');

    const unknown = await check({ shop: 'no-such-shop-anywhere.myshopify.com' });
    expect(unknown).toEqual({ ok: false, reason: expect.stringContaining('No Shopify shop answers at no-such-shop-anywhere.myshopify.com') });

    const scope = await check({ allOrders: false });
    expect(scope).toEqual({ ok: false, reason: expect.stringContaining('lacks the read_customers scope') });

    sandbox.scopes = new Set(['read_customers', 'read_orders', 'read_returns']);
    expect(await check({ allOrders: false })).toEqual({ ok: true });
    expect(await check({ allOrders: true })).toEqual({ ok: false, reason: expect.stringContaining('only the last 60 days') });
  });

  it('refuses a shop domain that is not a myshopify.com domain, naming the field', () => {
    const parsed = shopifyConfigSchema.safeParse({ shop: 'www.acme.com', accessToken: 'x' });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['shop'], message: expect.stringContaining('myshopify.com') });
    expect(shopifyConfigSchema.parse({ shop: 'https://Acme.myshopify.com/admin', accessToken: 'x' }).shop).toBe('acme.myshopify.com');
  });

  it('takes an adminApiOrigin only on this machine (the token goes there), and an empty one as Shopify', () => {
    const base = { shop: 'acme.myshopify.com', accessToken: 'x' };
    for (const origin of ['https://evil.example.com', 'http://10.0.0.5:8443', 'http://127.0.0.1:8443/admin', 'ftp://127.0.0.1', 'not a url']) {
      const parsed = shopifyConfigSchema.safeParse({ ...base, adminApiOrigin: origin });
      expect(parsed.success).toBe(false);
      expect(parsed.error!.issues[0]).toMatchObject({ path: ['adminApiOrigin'], message: expect.stringContaining('a server on this machine') });
    }
    expect(shopifyConfigSchema.parse({ ...base, adminApiOrigin: 'http://127.0.0.1:8443/' }).adminApiOrigin).toBe('http://127.0.0.1:8443');
    expect(shopifyConfigSchema.parse({ ...base, adminApiOrigin: 'http://localhost:9000' }).adminApiOrigin).toBe('http://localhost:9000');
    expect(shopifyConfigSchema.parse({ ...base, adminApiOrigin: '' }).adminApiOrigin).toBeUndefined();
    expect(shopifyConfigSchema.parse(base).adminApiOrigin).toBeUndefined();
  });
});

describe('the 60-day window', () => {
  it('serves only the last 60 days of orders without read_all_orders', async () => {
    const sandbox = await ShopifySandbox.start({ shop: shop(), customers: 30, orders: 300, readAllOrders: false });
    try {
      const config = shopifyConfigSchema.parse(sandboxConfig(sandbox, { allOrders: false }));
      const outcome = await readStream(connector, { stream: 'orders', mode: 'full', state: undefined }, config, ctx());
      const from = Date.parse(sandbox.data.clock.now()) - 60 * 86_400_000;
      const recent = sandbox.data.orders.filter((o) => Date.parse(o.createdAt) >= from);
      expect(recent.length).toBeGreaterThan(0);
      expect(recent.length).toBeLessThan(300);
      expect(outcome.facts.map((f) => f.externalId).sort()).toEqual(recent.map((o) => `gid://shopify/Order/${o.id}`).sort());
    } finally {
      await sandbox.close();
    }
  });
});
