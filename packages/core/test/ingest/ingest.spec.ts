import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestPipeline } from '../../src/modules/ingest/ingest-pipeline.js';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { ProfileRecomputeService } from '../../src/modules/profiles/profile-recompute.service.js';
import { ProfileSettingsService } from '../../src/modules/profiles/profile-settings.service.js';
import { ProfilesService } from '../../src/modules/profiles/profiles.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();

const TABLES = ['profiles', 'identities', 'source_records', 'events', 'consents', 'account_links', 'merges', 'trait_changes', 'identity_conflicts'];

describe('IngestService', () => {
  let core: TestCore;
  let ingest: IngestService;
  let profiles: ProfilesService;

  beforeAll(async () => {
    core = await createTestCore();
    ingest = core.app.get(IngestService);
    profiles = core.app.get(ProfilesService);
  });
  afterAll(() => core?.close());

  /** Every row of every profile table of a workspace, as text, in a stable order. */
  async function snapshot(ws: string): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of TABLES) {
      const rows = await core.db.dataSource.query(`SELECT t::text AS row FROM ${table} t WHERE workspace_id = $1 ORDER BY 1`, [ws]);
      out[table] = rows.map((r: { row: string }) => r.row);
    }
    return out;
  }

  const orders = (customer: string, ...totals: [number, number, number?][]) =>
    totals.map(([d, total, discount]) => ({
      type: 'order_placed',
      occurredAt: day(d),
      properties: { order_id: `${customer}-${d}`, total, discount_total: discount ?? 0 },
      dedupeKey: `${customer}-${d}`,
    }));

  it('is idempotent: replaying a batch changes nothing, events included', async () => {
    const ws = await core.workspace();
    const batch: ProfileFactInput[] = [
      { source: 'shopify', externalId: '1', identities: [{ type: 'email', value: 'a@x.io' }], traits: { first_name: 'A' }, events: orders('1', [2, 50], [3, 70]), observedAt: day(5) },
      { source: 'mailchimp', externalId: 'm1', identities: [{ type: 'email', value: 'A@x.io' }, { type: 'phone', value: '+14155552671' }], consent: [{ purpose: 'email_marketing', granted: true, at: day(4) }], events: [{ type: 'email_opened', occurredAt: day(4), properties: { campaign_id: 'c1' } }], observedAt: day(5) },
      { source: 'shopify', externalId: '2', identities: [{ type: 'email', value: 'b@x.io' }], account: { identities: [{ type: 'domain', value: 'x.io' }], traits: { name: 'X' } }, observedAt: day(5) },
    ];
    const first = await ingest.ingest(ws, batch);
    expect(first).toMatchObject({ created: 3, eventsInserted: 3, eventsDeduplicated: 0, rejected: 0 });
    const before = await snapshot(ws);
    const again = await ingest.ingest(ws, batch);
    expect(again).toMatchObject({ created: 0, updated: 0, merged: 0, eventsInserted: 0, eventsDeduplicated: 3 });
    expect(again.change.profileIds).toEqual([]);
    expect(await snapshot(ws)).toEqual(before);
  });

  it('computes the default computed traits from events, set-based', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [
      {
        source: 'shopify',
        externalId: 'c',
        identities: [{ type: 'email', value: 'buyer@x.io' }],
        events: [
          ...orders('c', [1, 100], [10, 50, 5], [20, 30]),
          { type: 'order_refunded', occurredAt: day(21), properties: { order_id: 'c-20', amount: 30 }, dedupeKey: 'r-c-20' },
          { type: 'order_placed', occurredAt: day(22), properties: { order_id: 'bad', total: 'not a number' }, dedupeKey: 'c-bad' },
        ],
        observedAt: day(22),
      },
    ]);
    const p = (await profiles.findByIdentity(ws, 'email', 'buyer@x.io'))!;
    expect(p.computed).toMatchObject({
      orders_count: 4,
      // 100 + 50 + 30 in orders, 30 of them refunded.
      lifetime_value: 150,
      avg_order_value: 60,
      first_order_at: '2026-01-01T00:00:00.000Z',
      last_order_at: '2026-01-22T00:00:00.000Z',
      refunds_count: 1,
      discount_order_share: 0.25,
    });
    const expectedDays = Math.floor((Date.now() - Date.parse(day(22))) / 86_400_000);
    expect(p.computed.days_since_last_order).toBeGreaterThanOrEqual(expectedDays - 1);
    expect(p.computed.days_since_last_order).toBeLessThanOrEqual(expectedDays);
  });

  it('takes the most recent observation per trait, unless a source has precedence; keeps provenance and history', async () => {
    const ws = await core.workspace();
    const email = [{ type: 'email', value: 'p@x.io' }];
    await ingest.ingest(ws, [{ source: 'shopify', externalId: 's', identities: email, traits: { city: 'Lisbon', first_name: 'Pat' }, observedAt: day(1) }]);
    await ingest.ingest(ws, [{ source: 'mailchimp', externalId: 'm', identities: email, traits: { city: 'Porto' }, observedAt: day(2) }]);
    let p = (await profiles.findByIdentity(ws, 'email', 'p@x.io'))!;
    expect(p.traits).toEqual({ city: 'Porto', first_name: 'Pat' });
    const verbose = await profiles.traits(ws, p.id);
    expect(verbose.traits.city).toEqual({ value: 'Porto', source: 'mailchimp', observedAt: day(2) });
    expect(verbose.observations.map((o) => [o.source, o.traits.city?.value])).toEqual([['mailchimp', 'Porto'], ['shopify', 'Lisbon']]);

    // An older observation does not overwrite a newer one of the same record.
    await ingest.ingest(ws, [{ source: 'mailchimp', externalId: 'm', identities: email, traits: { city: 'Faro' }, observedAt: day(1) }]);
    expect((await profiles.get(ws, p.id)).traits.city).toBe('Porto');

    await core.app.get(ProfileSettingsService).update(ws, { traitPrecedence: { city: ['shopify'] } });
    await ingest.ingest(ws, [{ source: 'shopify', externalId: 's', identities: email, traits: { first_name: 'Patricia' }, observedAt: day(3) }]);
    p = await profiles.get(ws, p.id);
    expect(p.traits).toEqual({ city: 'Lisbon', first_name: 'Patricia' });

    const history = await profiles.traitHistory(ws, p.id, { trait: 'city' });
    expect(history.data.map((h) => h.changes.city)).toEqual([
      { from: 'Porto', to: 'Lisbon', source: 'shopify', observedAt: day(1) },
      { from: 'Lisbon', to: 'Porto', source: 'mailchimp', observedAt: day(2) },
      { from: null, to: 'Lisbon', source: 'shopify', observedAt: day(1) },
    ]);
  });

  it('rejects invalid facts with a reason per fact and keeps the rest of the batch', async () => {
    const ws = await core.workspace();
    const result = await ingest.ingest(ws, [
      { source: 'csv', externalId: 'ok', identities: [{ type: 'email', value: 'ok@x.io' }], observedAt: day(1) },
      { source: 'csv', externalId: 'no-ids', identities: [], observedAt: day(1) },
      { source: 'csv', externalId: 'bad-date', identities: [{ type: 'email', value: 'b@x.io' }], observedAt: 'soon' },
      { source: 'csv', externalId: 'bad-phone', identities: [{ type: 'phone', value: '12' }], observedAt: day(1) },
      null,
      { source: 'csv', externalId: 'bad-trait', identities: [{ type: 'email', value: 'c@x.io' }], traits: { email: 5 }, observedAt: day(1) },
    ]);
    expect(result.created).toBe(1);
    expect(result.rejections).toEqual([
      { index: 1, source: 'csv', externalId: 'no-ids', reason: 'identities: a fact needs at least one identity' },
      { index: 2, source: 'csv', externalId: 'bad-date', reason: 'observedAt: must be an ISO-8601 timestamp' },
      { index: 3, source: 'csv', externalId: 'bad-phone', reason: 'no usable identity: phone "12" is not a valid phone number (region US)' },
      { index: 4, source: undefined, externalId: undefined, reason: expect.stringContaining('(fact)') },
      { index: 5, source: 'csv', externalId: 'bad-trait', reason: 'traits.email: must be a string or null' },
    ]);
  });

  it('keeps the latest consent statement per purpose and source', async () => {
    const ws = await core.workspace();
    const ids = [{ type: 'email', value: 'c@x.io' }];
    await ingest.ingest(ws, [{ source: 'mailchimp', externalId: 'm', identities: ids, consent: [{ purpose: 'email_marketing', granted: true, at: day(2) }], observedAt: day(2) }]);
    await ingest.ingest(ws, [{ source: 'mailchimp', externalId: 'm', identities: ids, consent: [{ purpose: 'email_marketing', granted: false, at: day(1) }], observedAt: day(3) }]);
    await ingest.ingest(ws, [{ source: 'shopify', externalId: 's', identities: ids, consent: [{ purpose: 'email_marketing', granted: false, at: day(3) }], observedAt: day(3) }]);
    const rows = await core.db.dataSource.query(`SELECT source, granted FROM consents WHERE workspace_id = $1 ORDER BY source`, [ws]);
    expect(rows).toEqual([
      { source: 'mailchimp', granted: true },
      { source: 'shopify', granted: false },
    ]);
  });

  it('pages a profile timeline with a cursor and filters by type and time', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [
      { source: 'web', externalId: 'v', identities: [{ type: 'anonymous_id', value: 'anon-1' }], events: Array.from({ length: 7 }, (_, i) => ({ type: i % 2 ? 'page_viewed' : 'session_started', occurredAt: day(i + 1), properties: { n: i }, dedupeKey: `e${i}` })), observedAt: day(8) },
    ]);
    const p = (await profiles.findByIdentity(ws, 'anonymous_id', 'anon-1'))!;
    const first = await profiles.events(ws, p.id, { limit: 3 });
    const second = await profiles.events(ws, p.id, { limit: 3, cursor: first.nextCursor! });
    const third = await profiles.events(ws, p.id, { limit: 3, cursor: second.nextCursor! });
    expect([...first.data, ...second.data, ...third.data].map((e) => e.properties.n)).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(third.nextCursor).toBeNull();
    const views = await profiles.events(ws, p.id, { type: 'page_viewed', since: day(3), until: day(7) });
    expect(views.data.map((e) => e.properties.n)).toEqual([5, 3]);
    await expect(profiles.events(ws, p.id, { cursor: 'garbage' })).rejects.toThrow(/cursor/);
  });

  it('never makes two profiles for one person when ingests sharing identities run in parallel', async () => {
    const ws = await core.workspace();
    const people = Array.from({ length: 60 }, (_, i) => i);
    // Eight concurrent batches from different sources, each mentioning every person by a different mix of identifiers.
    const batches = Array.from({ length: 8 }, (_, b) =>
      people.map((i) => ({
        source: `src${b}`,
        externalId: `p${i}`,
        identities: [
          { type: 'email', value: b % 2 ? `PERSON${i}@x.io` : `person${i}@x.io` },
          ...(b % 3 === 0 ? [{ type: 'anonymous_id', value: `anon-${i}-${b}` }] : []),
        ],
        traits: { [`src${b}.seen`]: true },
        observedAt: day(b + 1),
      })),
    );
    const results = await Promise.all(batches.map((batch) => ingest.ingest(ws, batch)));
    expect(results.reduce((n, r) => n + r.created, 0)).toBe(60);
    const [{ count }] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`, [ws]);
    expect(count).toBe(60);
    const [{ dupes }] = await core.db.dataSource.query(
      `SELECT count(*)::int AS dupes FROM (SELECT profile_id FROM identities WHERE workspace_id = $1 AND type = 'email' GROUP BY profile_id HAVING count(*) > 1) d`,
      [ws],
    );
    expect(dupes).toBe(0);
    // Traits are recomputed after each batch commits, outside the ingest lock, by batches racing each
    // other: every profile still ends with what all eight sources said (no recompute lost another's).
    const traits: { traits: Record<string, unknown> }[] = await core.db.dataSource.query(`SELECT traits FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`, [ws]);
    const everySource = Object.fromEntries(batches.map((_, b) => [`src${b}.seen`, true]));
    for (const t of traits) expect(t.traits).toEqual(everySource);
  });

  it('commits every one of parallel batches whose consent and accounts point at profiles being recomputed', async () => {
    const ws = await core.workspace();
    const people = Array.from({ length: 40 }, (_, i) => i);
    // Two rounds of six sources at once, about the same people and companies: a later batch's consent and
    // account links reference profiles that an earlier batch may be recomputing (outside the ingest lock).
    const round = (r: number) =>
      Array.from({ length: 6 }, (_, b) =>
        people.map((i) => ({
          source: `src${b}`,
          externalId: `p${i}`,
          identities: [{ type: 'email', value: `person${i}@x.io` }],
          traits: { [`src${b}.round`]: r },
          consent: [{ purpose: 'email_marketing', granted: (i + b + r) % 2 === 0, at: day(r * 10 + b) }],
          account: { identities: [{ type: 'domain', value: `co${i % 5}.io` }], traits: { [`src${b}.round`]: r } },
          events: [{ type: 'order_placed', occurredAt: day(r * 10 + b), properties: { total: 10 }, dedupeKey: `${b}-${i}-${r}` }],
          observedAt: day(r * 10 + b),
        })),
      );
    const first = round(1).map((batch) => ingest.ingest(ws, batch));
    const second = round(2).map((batch) => ingest.ingest(ws, batch));
    const results = await Promise.all([...first, ...second]);
    expect(results.every((r) => r.rejected === 0)).toBe(true);
    const [counts] = await core.db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM profiles WHERE workspace_id = $1 AND kind = 'person' AND merged_into IS NULL) AS people,
              (SELECT count(*)::int FROM profiles WHERE workspace_id = $1 AND kind = 'account' AND merged_into IS NULL) AS accounts,
              (SELECT count(*)::int FROM consents WHERE workspace_id = $1) AS consents,
              (SELECT count(*)::int FROM events WHERE workspace_id = $1) AS events,
              (SELECT count(*)::int FROM profile_recompute_queue WHERE workspace_id = $1) AS queued`,
      [ws],
    );
    expect(counts).toEqual({ people: 40, accounts: 5, consents: 240, events: 480, queued: 0 });
    // Every person's computed traits count both rounds' orders from the six sources.
    const computed: { orders: number }[] = await core.db.dataSource.query(
      `SELECT (computed->>'orders_count')::int AS orders FROM profiles WHERE workspace_id = $1 AND kind = 'person'`,
      [ws],
    );
    expect(computed.every((c) => c.orders === 12)).toBe(true);
  });

  it('recomputes, in the worker sweep, the traits a stopped process left queued after its batch committed', async () => {
    const ws = await core.workspace();
    const recomputer = core.app.get(ProfileRecomputeService);
    const fact = { source: 'shop', externalId: 'c1', identities: [{ type: 'email', value: 'left@x.io' }], traits: { first_name: 'Lia' }, events: orders('c1', [3, 40]), observedAt: day(4) };
    // The batch commits with the caller's transaction, and the caller never gets to complete() it.
    const runner = core.db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const result = await core.app.get(IngestPipeline).run(runner, ws, [fact]);
    await runner.commitTransaction();
    await runner.release();
    const [stale] = await core.db.dataSource.query(`SELECT traits, computed FROM profiles WHERE workspace_id = $1`, [ws]);
    expect(stale).toEqual({ traits: {}, computed: {} });

    // A sweep only takes rows older than its threshold; this one is fresh.
    const queued = (): Promise<{ count: number }[]> => core.db.dataSource.query(`SELECT count(*)::int AS count FROM profile_recompute_queue WHERE workspace_id = $1`, [ws]);
    await recomputer.recomputePending(60_000);
    expect(await queued()).toEqual([{ count: 1 }]);
    // An older row that cannot be recomputed (its workspace's settings are unreadable) holds up no other:
    // it is logged and sent to the back of the queue.
    const broken = await core.workspace();
    await core.db.dataSource.query(`UPDATE workspaces SET settings = '{"traitPrecedence": 5}' WHERE id = $1`, [broken]);
    const [poison] = await core.db.dataSource.query(
      `INSERT INTO profile_recompute_queue (workspace_id, profile_ids, queued_at) VALUES ($1, $2::uuid[], now() - interval '1 hour') RETURNING id, queued_at`,
      [broken, result.change.profileIds],
    );
    expect(await recomputer.recomputePending(0)).toBeGreaterThanOrEqual(1);
    expect(await queued()).toEqual([{ count: 0 }]);
    const [requeued] = await core.db.dataSource.query(`SELECT queued_at FROM profile_recompute_queue WHERE id = $1`, [poison.id]);
    expect(requeued.queued_at.getTime()).toBeGreaterThan(poison.queued_at.getTime());
    await core.db.dataSource.query(`DELETE FROM profile_recompute_queue WHERE id = $1`, [poison.id]);
    const p = await profiles.get(ws, result.change.profileIds[0]!);
    expect(p.traits).toEqual({ first_name: 'Lia' });
    expect(p.computed).toMatchObject({ orders_count: 1, lifetime_value: 40 });

    // complete() afterwards finds the row gone and only publishes: nothing is recomputed twice.
    await ingest.complete(result);
    const history: { count: number }[] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM trait_changes WHERE workspace_id = $1`, [ws]);
    expect(history).toEqual([{ count: 1 }]);
  });
});
