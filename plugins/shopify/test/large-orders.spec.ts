import { createConnectorContext } from '@portrait/connector-sdk';
import { readStream } from '@portrait/testkit';
import connector from '../src/index.js';
import { ShopifySandbox } from '../src/sandbox/index.js';
import { shopifyConfigSchema } from '../src/shopify.config.js';
import { SHOPIFY_API_VERSION } from '../src/transport/admin-client.js';
import { sandboxConfig } from './sandbox-config.js';

describe('orders with more line items than a page holds', () => {
  it('a paged read completes each order’s line items with queries of its own', async () => {
    const sandbox = await ShopifySandbox.start({ shop: 'large-orders.myshopify.com', customers: 10, orders: 20, lineItems: [8, 25], bulkRunMs: 600_000 });
    try {
      // A bulk operation already running: the stream pages.
      sandbox.occupyBulkQueries(SHOPIFY_API_VERSION);
      const config = shopifyConfigSchema.parse(sandboxConfig(sandbox));
      const outcome = await readStream(connector, { stream: 'orders', mode: 'full', state: undefined }, config, createConnectorContext());
      const lines = new Map(outcome.facts.map((f) => [f.externalId, (f.events[0]!.properties.line_items as unknown[]).length]));
      const expected = new Map(sandbox.data.orders.map((o) => [`gid://shopify/Order/${o.id}`, o.lineItems.length]));
      expect([...expected.values()].some((n) => n > 10)).toBe(true);
      expect(lines).toEqual(expected);
    } finally {
      await sandbox.close();
    }
  });
});
