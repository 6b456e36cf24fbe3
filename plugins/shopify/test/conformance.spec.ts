import { describeConnectorConformance } from '@portrait/testkit';
import connector from '../src/index.js';
import { ShopifySandbox } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

// A shop on Shopify Plus (1,000 points/s) with enough records for several checkpoints per stream.
describe('on the 1,000-points/s plan', () => {
  describeConnectorConformance(connector, {
    sandbox: () => ShopifySandbox.start({ customers: 600, orders: 700, plan: 'plus' }),
    config: (sandbox) => sandboxConfig(sandbox),
    badConfig: (sandbox) => sandboxConfig(sandbox, { accessToken: 'shpat_revoked000000000000000000000' }),
  });
});
