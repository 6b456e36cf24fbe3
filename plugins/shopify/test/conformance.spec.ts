import { describeConnectorConformance } from '@portrait/testkit';
import connector from '../src/index.js';
import { ShopifySandbox } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

let shops = 0;
/** A fresh shop per sandbox: the connector keeps one cost pacer per shop, as Shopify keeps one bucket. */
const shop = () => `conformance-${++shops}.myshopify.com`;

// A shop on Shopify Plus (1,000 points/s) with enough records for several checkpoints per stream.
describe('on the 1,000-points/s plan', () => {
  describeConnectorConformance(connector, {
    sandbox: () => ShopifySandbox.start({ shop: shop(), customers: 600, orders: 700, plan: 'plus' }),
    config: (sandbox) => sandboxConfig(sandbox),
    badConfig: (sandbox) => sandboxConfig(sandbox, { accessToken: 'shpat_revoked000000000000000000000' }),
  });
});

// A shop on the Basic/Standard plan (100 points/s) whose bucket another app has nearly drained: the
// first paged queries are answered THROTTLED and waited out; with the suite's injected 429s, 5xx and
// malformed records.
describe('on the 100-points/s plan, throttled', () => {
  describeConnectorConformance(connector, {
    sandbox: () => ShopifySandbox.start({ shop: shop(), customers: 300, orders: 400, plan: 'standard', initialPoints: 800 }),
    config: (sandbox) => sandboxConfig(sandbox),
    badConfig: (sandbox) => sandboxConfig(sandbox, { shop: 'no-such-shop.myshopify.com' }),
    streams: ['customers', 'orders'],
  });
});
