import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import csv from '@portrait/plugin-csv';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

/**
 * What a sync does after committing a batch (recomputing traits, segments, webhooks) takes connections of
 * its own: the batch's connection must be back in the pool by then. On a pool of one, holding it made
 * that work wait for a connection only the waiting sync could give back (this test then timed out); on
 * the worker's pools, several syncs at once could stall the same way for seconds.
 */
describe('a sync on a small database pool', () => {
  let core: TestCore;
  let dir: string;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 's'.repeat(40), DATABASE_POOL_SIZE: '1' }, connectors: [csv] });
    dir = mkdtempSync(join(tmpdir(), 'portrait-sync-pool-'));
  });
  afterAll(async () => {
    await core?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('completes its batches (traits recomputed) without waiting on its own connection', async () => {
    writeFileSync(join(dir, 'people.csv'), 'Id,E-mail,First name\n1,ana@example.com,Ana\n2,bo@example.com,Bo\n');
    const workspaceId = await core.workspace();
    const source = await core.app.get(SourcesService).create(workspaceId, {
      connectorId: 'csv',
      name: 'people',
      config: { source: 'csv-people', directory: dir, mapping: { externalId: 'Id', identities: { 'E-mail': 'email' }, traits: { 'First name': 'first_name' } } },
    });
    const outcome = await core.app.get(SyncService).sync(source.id);
    if (!outcome.started) throw new Error('the sync did not start');
    const traits: { first_name: string }[] = await core.db.dataSource.query(
      `SELECT traits->>'first_name' AS first_name FROM profiles WHERE workspace_id = $1 ORDER BY 1`,
      [workspaceId],
    );
    expect(traits).toEqual([{ first_name: 'Ana' }, { first_name: 'Bo' }]);
    const [{ queued }] = await core.db.dataSource.query(`SELECT count(*)::int AS queued FROM profile_recompute_queue WHERE workspace_id = $1`, [workspaceId]);
    expect(queued).toBe(0);
  }, 30_000);
});
