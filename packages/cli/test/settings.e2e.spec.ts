import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogService, IngestService, ProfileSettingsService, ProfilesService, RecomputeJobsService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));

const buyer = (externalId: string, email: string, totals: number[]) => ({
  source: 'shop',
  externalId,
  identities: [{ type: 'email', value: email }],
  traits: {},
  events: totals.map((total, i) => ({ type: 'order_placed', occurredAt: `2026-01-0${i + 1}T00:00:00.000Z`, properties: { total }, dedupeKey: `${externalId}-${i}` })),
  observedAt: '2026-01-10T00:00:00.000Z',
});

describe('portrait settings', () => {
  let core: TestCore;
  let ws: string;
  let dir: string;
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const bigOrders = { key: 'big_orders', aggregation: 'count', event: 'order_placed', where: [{ property: 'total', op: 'gte', value: 100 }] };

  beforeAll(async () => {
    core = await createTestCore();
    ws = (await core.app.get(WorkspacesService).create('acme')).id;
    dir = mkdtempSync(join(tmpdir(), 'portrait-settings-'));
    await core.app.get(IngestService).ingest(ws, [buyer('a', 'ana@example.org', [40, 150, 200]), buyer('b', 'bo@example.org', [10])]);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('prints the workspace\'s own settings (null: the defaults), and the rules in force with --effective', async () => {
    const own = await run(['settings', 'get', '--workspace', 'acme'], core.db.url);
    expect(own.code).toBe(0);
    expect(JSON.parse(own.stdout)).toEqual({ identity: null, traitPrecedence: null, computedTraits: null, retention: null });
    const effective = await run(['settings', 'get', '--workspace', 'acme', '--effective'], core.db.url);
    const settings = JSON.parse(effective.stdout) as { identity: { types: Record<string, unknown> }; computedTraits: { key: string }[] };
    expect(settings.identity.types.email).toEqual({ priority: 2, limit: 5 });
    expect(settings.computedTraits.map((d) => d.key)).toContain('days_since_last_order');
  });

  it('sets computed traits from a file and backfills every existing profile in the foreground; get prints what set took', async () => {
    const set = await run(['settings', 'set', '--workspace', 'acme', '--file', file('settings.json', { computedTraits: [bigOrders] })], core.db.url);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^settings of acme changed: computedTraits$/m);
    expect(set.stdout).toMatch(/^backfill [0-9a-f-]{36}: succeeded, 2 profiles recomputed$/m);
    const profiles = core.app.get(ProfilesService);
    expect((await profiles.findByIdentity(ws, 'email', 'ana@example.org'))!.computed.big_orders).toBe(2);
    expect((await profiles.findByIdentity(ws, 'email', 'bo@example.org'))!.computed.big_orders).toBe(0);

    const got = await run(['settings', 'get', '--workspace', 'acme'], core.db.url);
    expect(JSON.parse(got.stdout)).toEqual({ identity: null, traitPrecedence: null, computedTraits: [bigOrders], retention: null });
    expect((await core.app.get(AuditLogService).list(ws)).data.map((e) => [e.action, e.actor.via])).toEqual([['settings.replace', 'cli']]);
  });

  it('leaves the backfill to the worker with --no-wait; null puts a part back to its defaults', async () => {
    const set = await run(['settings', 'set', '--workspace', 'acme', '--no-wait', '--file', file('reset.json', { computedTraits: null, identity: { defaultRegion: 'PT' } })], core.db.url);
    expect(set.code).toBe(0);
    const [, jobId] = /^backfill ([0-9a-f-]{36}) queued/m.exec(set.stdout)!;
    expect(await core.app.get(RecomputeJobsService).get(ws, jobId!)).toMatchObject({ kind: 'backfill', status: 'queued' });
    expect(await core.app.get(ProfileSettingsService).stored(ws)).toEqual({ identity: { defaultRegion: 'PT' } });
    await core.app.get(RecomputeJobsService).runDue();
    expect((await core.app.get(ProfilesService).findByIdentity(ws, 'email', 'ana@example.org'))!.computed.big_orders).toBeUndefined();
  });

  it('refuses invalid settings field by field, unknown parts and files that are not JSON, and stores nothing', async () => {
    const before = await core.app.get(ProfileSettingsService).stored(ws);
    const invalid = await run(['settings', 'set', '--workspace', 'acme', '--file', file('bad.json', { computedTraits: [{ ...bigOrders, aggregation: 'median' }], traitPrecedence: { city: [] } })], core.db.url);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('computedTraits.0.aggregation: must be one of count, sum');
    expect(invalid.stderr).toContain('traitPrecedence.city: must name at least one source');
    const unknown = await run(['settings', 'set', '--workspace', 'acme', '--file', file('unknown.json', { colour: 'blue' })], core.db.url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown settings colour');
    const notJson = await run(['settings', 'set', '--workspace', 'acme', '--file', file('broken.json', '{"identity": ')], core.db.url);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('is not JSON');
    const noWorkspace = await run(['settings', 'get', '--workspace', 'nowhere'], core.db.url);
    expect(noWorkspace.stderr).toBe('portrait: workspace "nowhere" does not exist\n');
    expect(await core.app.get(ProfileSettingsService).stored(ws)).toEqual(before);
  });

  it('sets the retention, prints it and applies it now: older events go and their profiles are recomputed', async () => {
    const shown = await run(['privacy', 'retention', '--workspace', 'acme'], core.db.url);
    expect(shown.stdout).toBe('events are kept 25 months, dead letters 25 months\n');
    const bad = await run(['settings', 'set', '--workspace', 'acme', '--file', file('retention-bad.json', { retention: { eventsMonths: 0 } })], core.db.url);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('retention.eventsMonths: must be at least 1 month');
    // The orders are of January 2026: more than 10 months ago.
    const set = await run(['settings', 'set', '--workspace', 'acme', '--file', file('retention.json', { retention: { eventsMonths: 10 } })], core.db.url);
    expect(set.stdout).toBe('settings of acme changed: retention\n');
    const applied = await run(['privacy', 'retention', '--workspace', 'acme', '--apply'], core.db.url);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/^events are kept 10 months, dead letters 25 months\ndeleted 4 events before \S+, 0 dead letters before \S+; 2 profiles recomputed\n$/);
    expect((await core.app.get(ProfilesService).findByIdentity(ws, 'email', 'ana@example.org'))!.computed).toMatchObject({ orders_count: 0, lifetime_value: 0 });
    expect((await core.app.get(AuditLogService).list(ws)).data.map((e) => e.action)).toContain('retention.apply');
  });
});
