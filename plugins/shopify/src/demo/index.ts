import type { StartDemoSandbox } from '@portrait/connector-sdk';
import { generatePopulation } from '@portrait/testkit';
import { ShopifySandbox } from '../sandbox/index.js';
import type { ShopifyConfigInput } from '../shopify.config.js';

/** The CSV demo's population (same seed, same size): store visits and online orders meet on the same people. */
const DEMO_SEED = 2026;
const DEMO_PEOPLE = 400;

/**
 * The Shopify plugin's demo: a sandbox shop on a loopback port with 250 customers and 900 orders of
 * the demo population, on the 1,000-points/s plan. The source's `adminApiOrigin` points at it, so
 * whichever process runs the demo's syncs (the worker, a child of the one that starts the sandbox)
 * sends the shop's requests there.
 */
export const startDemoSandbox: StartDemoSandbox<ShopifyConfigInput> = async ({ host }) => {
  const population = generatePopulation({ seed: DEMO_SEED, people: DEMO_PEOPLE, companies: 0 });
  const sandbox = await ShopifySandbox.start({ shop: 'portrait-demo.myshopify.com', seed: DEMO_SEED, population, customers: 250, orders: 900, plan: 'plus', host });
  return {
    sourceName: 'Shopify (demo)',
    config: { source: 'shopify', shop: sandbox.shop, accessToken: sandbox.accessToken, webhookSecret: sandbox.apiSecret, allOrders: true, adminApiOrigin: sandbox.url },
    close: () => sandbox.close(),
  };
};
