import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogService, IngestService, ProfilesService, TypologyService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));
const DAY = 86_400_000;

/** A buyer whose orders were placed `days` ago, `coded` of them with a discount code. */
const buyer = (name: string, days: number[], coded: number) => ({
  source: 'shop',
  externalId: name,
  identities: [{ type: 'email', value: `${name}@example.org` }],
  events: days.map((d, i) => ({
    type: 'order_placed',
    occurredAt: new Date(Date.now() - d * DAY).toISOString(),
    properties: { total: 20, discount_codes: i < coded ? ['SAVE'] : [] },
    dedupeKey: `${name}-${i}`,
  })),
  observedAt: new Date().toISOString(),
});

describe('portrait typology', () => {
  let core: TestCore;
  let ws: string;
  let dir: string;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(async () => {
    core = await createTestCore();
    ws = (await core.app.get(WorkspacesService).create('demo')).id;
    dir = mkdtempSync(join(tmpdir(), 'portrait-typology-'));
    await core.app.get(IngestService).ingest(ws, [buyer('dina', [40, 20], 2), buyer('cleo', [90, 60, 30], 2), buyer('uma', [5], 0)]);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('shows how many people have each typology', async () => {
    const shown = await run(['typology', 'show', '--workspace', 'demo'], core.db.url);
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/))).toEqual([
      ['need_based', '0', '0.0%'],
      ['deal_based', '2', '66.7%'],
      ['impulsive', '0', '0.0%'],
      ['loyal', '0', '0.0%'],
      ['unknown', '1', '33.3%'],
      ['unclassified', '0', '0.0%'],
      ['total', '3'],
    ]);
  });

  it('prints the thresholds in force, and replaces them from a file: every profile is classified again, audited', async () => {
    const printed = await run(['typology', 'settings', '--workspace', 'demo'], core.db.url);
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toMatchObject({ own: {}, settings: { minOrders: 2, dealBased: { minDealShare: 0.5 } } });

    const set = await run(['typology', 'settings', '--workspace', 'demo', '--file', file('strict.json', '{"dealBased": {"minDealShare": 0.9}}')], core.db.url);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^typology settings of demo replaced: \{"dealBased":\{"minDealShare":0.9\}\}$/m);
    expect(set.stdout).toMatch(/^classified 3 profiles: 1 changed typology \(\d+ ms\)$/m);
    expect(set.stdout).toMatch(/^deal_based\s+1\s+33.3%$/m);
    expect((await core.app.get(ProfilesService).findByIdentity(ws, 'email', 'cleo@example.org'))!.typology).toMatchObject({ value: 'unknown' });
    expect((await core.app.get(TypologyService).settings(ws)).own).toEqual({ dealBased: { minDealShare: 0.9 } });
    const audit = await core.app.get(AuditLogService).list(ws, { limit: 1 });
    expect(audit.data[0]).toMatchObject({ action: 'typology.settings.replace', actor: { via: 'cli' } });
  });

  it('refuses invalid thresholds field by field and a file that is not JSON, storing nothing', async () => {
    const invalid = await run(['typology', 'settings', '--workspace', 'demo', '--file', file('bad.json', '{"minOrders": 0, "loyal": {"minSpanDays": -1}}')], core.db.url);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('invalid typology settings in');
    expect(invalid.stderr).toContain('  minOrders: must be at least 1');
    expect(invalid.stderr).toContain('  loyal.minSpanDays: must not be negative');
    const garbled = await run(['typology', 'settings', '--workspace', 'demo', '--file', file('garbled.json', '{"minOrders": ')], core.db.url);
    expect(garbled.code).toBe(1);
    expect((await core.app.get(TypologyService).settings(ws)).own).toEqual({ dealBased: { minDealShare: 0.9 } });
    const missing = await run(['typology', 'show', '--workspace', 'nowhere'], core.db.url);
    expect(missing.code).toBe(1);
  });

  it('classifies every profile now', async () => {
    await core.db.dataSource.query(`UPDATE profiles SET typology = NULL, typology_reason = NULL, typology_figures = NULL, typology_set_at = NULL WHERE workspace_id = $1`, [ws]);
    const recomputed = await run(['typology', 'recompute', '--workspace', 'demo'], core.db.url);
    expect(recomputed.code).toBe(0);
    expect(recomputed.stdout).toMatch(/^classified 3 profiles: 3 changed typology \(\d+ ms\)$/m);
    expect(recomputed.stdout).toMatch(/^unknown\s+2\s+66.7%$/m);
    expect(recomputed.stdout).toMatch(/^unclassified\s+0\s+0.0%$/m);
  });
});
