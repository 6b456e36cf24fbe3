import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import csv from '@portrait/plugin-csv';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { createTestCore, startedRun, type TestCore } from '../../src/testing/index.js';

const csvConfig = (directory: string) => ({
  source: 'csv-people',
  directory,
  mapping: {
    externalId: 'ID',
    identities: { 'E-mail': 'email', Phone: 'phone' },
    traits: { 'First name': 'first_name' },
    event: { type: 'store_visited', occurredAt: 'Visited at' },
  },
});

/**
 * What the sync engine logs, at the most verbose level, for a CSV sync that dead-letters rows and for
 * one that fails inside PostgreSQL: none of the rows' e-mails, phones or ids.
 */
describe('sync logs hold no personal data', () => {
  let core: TestCore;
  const lines: string[] = [];
  const dirs: string[] = [];
  const tag = randomUUID().slice(0, 8);

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 's'.repeat(40), LOG_LEVEL: 'trace' }, connectors: [csv], logDestination: sink });
    // A real database failure on demand: a check constraint refuses the records whose id starts with FAIL.
    await core.db.dataSource.query(`ALTER TABLE source_records ADD CONSTRAINT test_refuses_fail CHECK (external_id NOT LIKE 'FAIL-%')`);
  });
  afterAll(async () => {
    await core?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const csvDir = (rows: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'portrait-sync-logs-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'people.csv'), ['ID,E-mail,Phone,First name,Visited at', ...rows].join('\n') + '\n');
    return dir;
  };

  it('dead-lettered rows and a run failed by the database leave no e-mail, phone or id in the logs', async () => {
    const values = {
      good: `good-${tag}@example.org`,
      badDate: `baddate-${tag}@example.org`,
      badEmail: `not-an-email-${tag}`,
      failing: `failing-${tag}@example.org`,
      badDateId: `ROW-${tag}-2`,
      failingId: `FAIL-${tag}`,
    };
    const sources = core.app.get(SourcesService);
    const sync = core.app.get(SyncService);
    const workspaceId = await core.workspace();

    const deadLettering = await sources.create(workspaceId, {
      connectorId: 'csv',
      name: 'people',
      config: csvConfig(
        csvDir([
          `ROW-${tag}-1,${values.good},+33 6 12 34 56 78,Ana,2026-01-02T10:00:00Z`,
          `${values.badDateId},${values.badDate},,Bo,not a date`,
          `ROW-${tag}-3,${values.badEmail},,Cy,2026-01-02T10:00:00Z`,
        ]),
      ),
    });
    const first = startedRun(await sync.sync(deadLettering.id));
    expect(first.status).toBe('succeeded');
    expect(first.stats.rows).toMatchObject({ read: 3, created: 1, rejected: 1, deadLettered: 2 });

    const failing = await sources.create(workspaceId, {
      connectorId: 'csv',
      name: 'failing',
      config: csvConfig(csvDir([`${values.failingId},${values.failing},,Di,2026-01-02T10:00:00Z`])),
    });
    const second = startedRun(await sync.sync(failing.id));
    expect(second.status).toBe('failed');

    const log = lines.join('\n').toLowerCase();
    expect(lines.length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(values)) expect({ name, found: log.includes(value.toLowerCase()) }).toEqual({ name, found: false });
    expect(log).not.toContain('33612345678');
    expect(log).not.toContain('12 34 56 78');
    // The failure is logged by its SQL state and constraint.
    const failed = lines.map((line) => JSON.parse(line) as { msg?: string; runId?: string; err?: Record<string, unknown> }).find((e) => e.msg === 'sync failed' && e.runId === second.id);
    expect(failed?.err).toMatchObject({ type: 'QueryFailedError', sqlState: '23514', constraint: 'test_refuses_fail' });
  });
});
