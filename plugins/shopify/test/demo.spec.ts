import { createConnectorContext } from '@portrait/connector-sdk';
import { readStream } from '@portrait/testkit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import connector from '../src/index.js';
import { startDemoSandbox } from '../src/demo/index.js';
import { shopifyConfigSchema } from '../src/shopify.config.js';

describe('the demo sandbox', () => {
  it('serves a shop of the demo population that the connector checks and reads', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'portrait-shopify-demo-'));
    const demo = await startDemoSandbox({ dataDir, host: '127.0.0.1' });
    try {
      const config = shopifyConfigSchema.parse(demo.config);
      expect(await connector.check(config, createConnectorContext())).toEqual({ ok: true });
      const customers = await readStream(connector, { stream: 'customers', mode: 'full', state: undefined }, config, createConnectorContext());
      expect(customers.facts).toHaveLength(250);
      expect(demo.sourceName).toBe('Shopify (demo)');
    } finally {
      await demo.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
