import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnectorContext } from '@portrait/connector-sdk';
import { SourcesService } from '@portrait/core';
import { createTestCore } from '@portrait/core/testing';
import { forkSourceChild, readStream } from '@portrait/testkit';
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

  it('is synced by another process, which has no sandbox routes: the source’s adminApiOrigin leads it there', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'portrait-shopify-demo-'));
    const core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'd'.repeat(40) }, connectors: [connector] });
    const demo = await startDemoSandbox({ dataDir, host: '127.0.0.1' });
    try {
      const workspaceId = await core.workspace();
      const source = await core.app.get(SourcesService).create(workspaceId, { connectorId: 'shopify', name: demo.sourceName, config: demo.config });
      // Only the database URL and the source: the child never learns of the sandbox but through the stored configuration.
      const child = forkSourceChild(new URL('./child/sync-child.ts', import.meta.url), [core.db.url, source.id], 'd'.repeat(40));
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      const q = (sql: string) => core.db.dataSource.query(sql, [workspaceId]);
      expect(await q(`SELECT status, error FROM sync_runs WHERE workspace_id = $1`)).toEqual([{ status: 'succeeded', error: null }]);
      const [{ n: customers }] = await q(`SELECT count(DISTINCT value)::int AS n FROM identities WHERE workspace_id = $1 AND type = 'shopify_customer_id'`);
      expect(customers).toBe(250);
      const [{ n: orders }] = await q(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1 AND type = 'order_placed'`);
      expect(orders).toBe(900);
    } finally {
      await demo.close();
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
