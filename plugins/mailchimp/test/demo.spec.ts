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
import { mailchimpConfigSchema } from '../src/mailchimp.config.js';

describe('the demo sandbox', () => {
  it('serves an audience of the demo population that the connector checks and reads', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'portrait-mailchimp-demo-'));
    const demo = await startDemoSandbox({ dataDir, host: '127.0.0.1' });
    try {
      const config = mailchimpConfigSchema.parse(demo.config);
      expect(await connector.check(config, createConnectorContext())).toEqual({ ok: true });
      const members = await readStream(connector, { stream: 'members', mode: 'full', state: undefined }, config, createConnectorContext());
      expect(members.facts).toHaveLength(240);
      expect(demo.sourceName).toBe('Mailchimp (demo)');
    } finally {
      await demo.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('is synced by another process, which knows of the sandbox only through the source’s apiBaseUrl', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'portrait-mailchimp-demo-'));
    const core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'd'.repeat(40) }, connectors: [connector] });
    const demo = await startDemoSandbox({ dataDir, host: '127.0.0.1' });
    try {
      const workspaceId = await core.workspace();
      const source = await core.app.get(SourcesService).create(workspaceId, { connectorId: 'mailchimp', name: demo.sourceName, config: demo.config });
      const child = forkSourceChild(new URL('./child/sync-child.ts', import.meta.url), [core.db.url, source.id], 'd'.repeat(40));
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      const q = (sql: string) => core.db.dataSource.query(sql, [workspaceId]);
      expect(await q(`SELECT status, error FROM sync_runs WHERE workspace_id = $1`)).toEqual([{ status: 'succeeded', error: null }]);
      const [{ n: members }] = await q(`SELECT count(DISTINCT value)::int AS n FROM identities WHERE workspace_id = $1 AND type = 'mailchimp_member_id'`);
      expect(members).toBe(240);
      const [{ n: opens }] = await q(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1 AND type = 'email_opened'`);
      expect(opens).toBeGreaterThan(100);
    } finally {
      await demo.close();
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
