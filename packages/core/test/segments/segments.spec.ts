import fc from 'fast-check';
import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { SegmentCatalogService, type SegmentCatalog } from '../../src/modules/segments/segment-catalog.service.js';
import { compileSegment } from '../../src/modules/segments/segment-compiler.js';
import type { SegmentCondition } from '../../src/modules/segments/segment-definition.js';
import { segmentConditionSchema } from '../../src/modules/segments/segment-leaves/segment-leaves.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentException } from '../../src/modules/segments/segment.exception.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { referenceMembers, type ReferenceWorld } from './reference-evaluator.js';
import { COUNTRIES, generatePopulation, insertPopulation, PERSONAS, PLANS, TAGS, TYPOLOGIES, type TestProfile } from './segment-population.js';

const DAY = 86_400_000;
const iso = (daysAgo: number, now: number) => new Date(now - daysAgo * DAY).toISOString();

describe('segments', () => {
  let core: TestCore;
  let segments: SegmentsService;
  let membership: SegmentMembershipService;
  let ws: string;
  let population: TestProfile[];
  let world: ReferenceWorld;
  const now = Date.now();

  beforeAll(async () => {
    core = await createTestCore();
    segments = core.app.get(SegmentsService);
    membership = core.app.get(SegmentMembershipService);
    ws = await core.workspace();
    population = generatePopulation(2500, 20261123, now);
    await insertPopulation(core.db.dataSource, ws, population);
    // Another workspace with the same kind of data: never leaks into the first one's segments.
    await insertPopulation(core.db.dataSource, await core.workspace(), generatePopulation(200, 7, now));
    world = { byId: new Map(population.map((p) => [p.id, p])), segments: new Map(), now };
  }, 120_000);
  afterAll(() => core?.close());

  /** Members by the compiled statement: over the workspace, or (per-profile form) restricted to `profileIds`. */
  const sqlMembers = async (definition: SegmentCondition, profileIds?: string[]): Promise<string[]> => {
    const defs = await segments.definitions(ws);
    const compiled = compileSegment(ws, definition, (id) => defs.get(id), { profileIds });
    const rows: { id: string }[] = await core.db.dataSource.query(compiled.sql, compiled.params);
    return rows.map((r) => r.id).sort();
  };

  const DEFINITIONS: [string, (now: number) => SegmentCondition][] = [
    ['trait eq', () => ({ trait: 'country', op: 'eq', value: 'BR' })],
    ['trait neq (missing included)', () => ({ trait: 'country', op: 'neq', value: 'BR' })],
    ['trait in / not_in', () => ({ all: [{ trait: 'plan', op: 'in', value: ['pro', 'Enterprise'] }, { trait: 'country', op: 'not_in', value: ['US', 'FR'] }] })],
    ['number comparisons', () => ({ any: [{ trait: 'age', op: 'gt', value: 60 }, { trait: 'age', op: 'lte', value: 18 }] })],
    ['number between', () => ({ trait: 'age', op: 'between', value: [30, 40] })],
    ['string contains, starts_with, ends_with (case-insensitive)', () => ({ any: [{ trait: 'first_name', op: 'contains', value: 'AN' }, { trait: 'plan', op: 'starts_with', value: 'ent' }, { trait: 'first_name', op: 'ends_with', value: "'brien" }] })],
    ['list contains / not_contains', () => ({ all: [{ trait: 'tags', op: 'contains', value: 'vip' }, { trait: 'tags', op: 'not_contains', value: 'churn_risk' }] })],
    ['boolean, exists, missing', () => ({ any: [{ trait: 'vip', op: 'eq', value: true }, { all: [{ trait: 'vip', op: 'missing' }, { trait: 'tags', op: 'exists' }] }] })],
    ['dates before / after / between', (n) => ({ any: [{ trait: 'signup_at', op: 'before', value: iso(300, n) }, { trait: 'signup_at', op: 'between', value: [iso(30, n), iso(10, n)] }] })],
    ['dates within_last / more_than_ago', () => ({ any: [{ trait: 'signup_at', op: 'within_last', value: 'P7D' }, { trait: 'signup_at', op: 'more_than_ago', value: 'P52W' }] })],
    ['date operators over values that are not all dates', (n) => ({ any: [{ trait: 'renewal_at', op: 'before', value: iso(50, n) }, { trait: 'renewal_at', op: 'within_last', value: 'P10D' }, { trait: 'renewal_at', op: 'between', value: [iso(5, n), iso(-5, n)] }] })],
    ['date operators on event properties of other types', (n) => ({ event: 'order_placed', where: [{ property: 'currency', op: 'after', value: iso(10, n) }], count: { op: 'eq', value: 0 } })],
    ['computed traits', () => ({ all: [{ computed: 'lifetime_value', op: 'gt', value: 500 }, { computed: 'orders_count', op: 'gte', value: 3 }] })],
    ['identity exists / missing / ends_with / eq', () => ({ any: [{ all: [{ identity: 'email', op: 'exists' }, { identity: 'phone', op: 'missing' }] }, { identity: 'email', op: 'ends_with', value: '@ACME.example' }, { identity: 'anonymous_id', op: 'eq', value: 'anon-7' }] })],
    ['identity not_contains', () => ({ identity: 'email', op: 'not_contains', value: 'gmail' })],
    ['event count within a window with a property filter', () => ({ event: 'order_placed', where: [{ property: 'total', op: 'gte', value: 100 }], count: { op: 'gte', value: 3 }, within: 'P90D' })],
    ['event between two dates', (n) => ({ event: 'order_placed', between: [iso(120, n), iso(30, n)] })],
    ['did not do (count eq 0)', () => ({ event: 'order_placed', count: { op: 'eq', value: 0 }, within: 'P30D' })],
    ['lapsed: ordered, but not in 60 days (one grouped pass)', () => ({ all: [{ event: 'order_placed' }, { event: 'order_placed', count: { op: 'eq', value: 0 }, within: 'P60D' }] })],
    ['same event type, windows and property filters, beside other leaves', () => ({
      all: [
        { event: 'order_placed', within: 'P365D', count: { op: 'gte', value: 2 } },
        { event: 'order_placed', where: [{ property: 'total', op: 'gte', value: 100 }], within: 'P90D', count: { op: 'lt', value: 2 } },
        { event: 'page_viewed', count: { op: 'eq', value: 0 } },
        { event: 'page_viewed', within: 'P7D', count: { op: 'eq', value: 0 } },
        { trait: 'country', op: 'neq', value: 'US' },
      ],
    })],
    ['event count eq / lt / neq', () => ({ any: [{ event: 'page_viewed', count: { op: 'eq', value: 2 } }, { event: 'order_placed', count: { op: 'lt', value: 2 } }, { event: 'page_viewed', count: { op: 'neq', value: 0 }, within: 'P14D' }] })],
    ['event property string filters', () => ({ event: 'order_placed', where: [{ property: 'coupon', op: 'exists' }, { property: 'currency', op: 'eq', value: 'BRL' }] })],
    ['consent granted / not granted', () => ({ any: [{ all: [{ consent: 'email_marketing', granted: true }, { consent: 'sms', granted: false }] }, { consent: 'sms', granted: true }] })],
    ['account traits', () => ({ any: [{ accountTrait: 'industry', op: 'eq', value: 'software' }, { accountTrait: 'employees', op: 'gt', value: 4000 }] })],
    ['account trait negated', () => ({ accountTrait: 'industry', op: 'neq', value: 'retail' })],
    ['persona and typology', () => ({ any: [{ persona: PERSONAS[0]! }, { typology: 'loyal' }] })],
    ['deep nesting with not', () => ({ not: { any: [{ all: [{ not: { trait: 'country', op: 'eq', value: 'BR' } }, { event: 'order_placed', within: 'P60D' }] }, { computed: 'lifetime_value', op: 'missing' }] } })],
  ];

  /** Definitions that must select someone in the generated population (else agreeing proves little). */
  const NON_EMPTY = new Set(['lapsed: ordered, but not in 60 days (one grouped pass)', 'same event type, windows and property filters, beside other leaves']);

  it.each(DEFINITIONS)('%s: the compiled query matches the reference evaluator exactly', async (_name, definition) => {
    const def = definition(now);
    await segments.validate(ws, def);
    const expected = referenceMembers(def, population, world);
    expect(await sqlMembers(def)).toEqual(expected);
    if (NON_EMPTY.has(_name)) expect(expected.length).toBeGreaterThan(0);
    // The per-profile form (incremental runs) over a batch agrees too.
    const batch = population.filter((_, i) => i % 7 === 0).map((p) => p.id);
    expect(await sqlMembers(def, batch)).toEqual(expected.filter((id) => batch.includes(id)));
  });

  it('materializes membership, logs entered rows, keeps size history and inlines segment-of-segment', async () => {
    const big = await segments.create(ws, { name: 'Big spenders', definition: { computed: 'lifetime_value', op: 'gt', value: 500 } });
    const nested = await segments.create(ws, { name: 'Big spenders in BR', definition: { all: [{ segment: big.id }, { trait: 'country', op: 'in', value: ['BR', 'br'] }] } });
    world.segments.set(big.id, big.definition);
    const [run] = await membership.recompute(ws, nested.id);
    const expected = referenceMembers(nested.definition, population, world);
    expect(run!.size).toBe(expected.length);
    expect(run!.entered).toBe(expected.length);
    const members: string[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await segments.members(ws, nested.id, { limit: 37, cursor });
      members.push(...page.data.map((m) => m.profileId));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(members.sort()).toEqual(expected);
    const events = await segments.membershipEvents(ws, { segmentId: nested.id, limit: 200 });
    expect(events.data.every((e) => e.type === 'segment.entered')).toBe(true);
    expect(events.data.length).toBe(Math.min(200, expected.length));
    // Oldest first by event number (not by its text: event 10 comes after event 9), page after page.
    const ids = events.data.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const firstPage = await segments.membershipEvents(ws, { segmentId: nested.id, limit: 5 });
    const secondPage = await segments.membershipEvents(ws, { segmentId: nested.id, limit: 5, cursor: firstPage.nextCursor! });
    expect([...firstPage.data, ...secondPage.data].map((e) => e.id)).toEqual(events.data.slice(0, 10).map((e) => e.id));
    // A second run changes nothing and writes no event.
    const [again] = await membership.recompute(ws, nested.id);
    expect({ entered: again!.entered, exited: again!.exited, size: again!.size }).toEqual({ entered: 0, exited: 0, size: expected.length });
    expect((await segments.runs(ws, nested.id)).map((r) => r.size)).toEqual([expected.length, expected.length]);
    expect((await segments.get(ws, nested.id)).size).toBe(expected.length);
  });

  it('answers the statement a full run of a saved segment executes, which selects exactly its members', async () => {
    const saved = await segments.create(ws, { name: 'Pro in BR', definition: { all: [{ trait: 'plan', op: 'eq', value: 'pro' }, { trait: 'country', op: 'eq', value: 'BR' }] } });
    const statement = await segments.statement(ws, saved.id);
    expect(statement.params[0]).toBe(ws);
    const rows: { id: string }[] = await core.db.dataSource.query(statement.sql, statement.params);
    const expected = referenceMembers(saved.definition, population, world);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.id).sort()).toEqual(expected);
    const [run] = await membership.recompute(ws, saved.id);
    expect(run!.size).toBe(expected.length);
    await expect(segments.statement(ws, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'SEGMENT_NOT_FOUND' });
  });

  it('previews an unsaved definition: count and the first 20 profiles', async () => {
    const def: SegmentCondition = { all: [{ trait: 'plan', op: 'eq', value: 'pro' }, { identity: 'email', op: 'exists' }] };
    const expected = referenceMembers(def, population, world);
    const preview = await segments.preview(ws, def);
    expect(preview.count).toBe(expected.length);
    expect(preview.profiles).toHaveLength(Math.min(20, expected.length));
    for (const p of preview.profiles) expect(expected).toContain(p.id);
  });

  it('refuses wrong operators and values with field paths, never a SQL error', async () => {
    const error = await segments
      .validate(ws, {
        all: [
          { trait: 'country', op: 'eq', value: 'BR' },
          { any: [{ trait: 'age', op: 'contains', value: 'x' }, { trait: 'age', op: 'gt', value: 'old' }] },
          { event: 'order_placed', within: 'ninety days' },
          { trait: 'signup_at', op: 'within_last', value: 30 },
          { consent: 'sms' },
          { trait: 'vip', op: 'exists', value: true },
          { segment: '00000000-0000-4000-8000-000000000000' },
          { nothing: 1 },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SegmentException);
    const fields = (error as SegmentException).errors.map((e) => e.field);
    expect(fields).toEqual(['all[1].any[0].op', 'all[1].any[1].value', 'all[2].within', 'all[3].value', 'all[4].granted', 'all[5].op', 'all[6].segment', 'all[7]']);
  });

  it('exports a zod schema of the language that clients can check trees with', () => {
    expect(segmentConditionSchema.safeParse({ all: [{ not: { trait: 'country', op: 'eq', value: 'BR' } }, { event: 'order_placed', count: { op: 'eq', value: 0 }, within: 'P30D' }] }).success).toBe(true);
    expect(segmentConditionSchema.safeParse({ all: [{ trait: 'country', op: 'like', value: 'BR' }] }).success).toBe(false);
    expect(segmentConditionSchema.safeParse({ any: [] }).success).toBe(false);
  });

  it('keeps every name and value a parameter (SQL injection attempts are data)', async () => {
    const evil = ["'; DROP TABLE profiles; --", 'country\') OR 1=1 --', '$1', '"}]); DELETE FROM events; --', "\\'", '%_'];
    for (const s of evil) {
      const def: SegmentCondition = {
        any: [
          { trait: s, op: 'eq', value: s },
          { trait: 'country', op: 'in', value: [s, 'BR'] },
          { trait: s, op: 'exists' },
          { trait: 'first_name', op: 'contains', value: s },
          { identity: s, op: 'starts_with', value: s },
          { event: s, where: [{ property: s, op: 'eq', value: s }] },
          { consent: s, granted: true },
          { typology: s },
          { accountTrait: s, op: 'ends_with', value: s },
        ],
      };
      const compiled = compileSegment(ws, def, () => undefined);
      // ('$1' is also the first placeholder's name.)
      for (const part of s === '$1' ? ['DROP', 'DELETE'] : [s, 'DROP', 'DELETE']) expect(compiled.sql).not.toContain(part);
      await segments.validate(ws, def);
      expect(await sqlMembers(def)).toEqual(referenceMembers(def, population, world));
    }
    const [{ count }] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM profiles WHERE workspace_id = $1`, [ws]);
    expect(count).toBe(population.length);
  });

  it('refuses segments that refer to each other in a cycle', async () => {
    const a = await segments.create(ws, { name: 'A', definition: { trait: 'country', op: 'eq', value: 'BR' } });
    const b = await segments.create(ws, { name: 'B', definition: { any: [{ segment: a.id }, { trait: 'vip', op: 'eq', value: true }] } });
    const cycle = await segments.update(ws, a.id, { name: 'A', definition: { all: [{ segment: b.id }] } }).catch((e: unknown) => e);
    expect(cycle).toBeInstanceOf(SegmentException);
    expect((cycle as SegmentException).code).toBe('SEGMENT_CYCLE');
    const self = await segments.update(ws, a.id, { name: 'A', definition: { segment: a.id } }).catch((e: unknown) => e);
    expect((self as SegmentException).code).toBe('SEGMENT_CYCLE');
    expect((await segments.get(ws, a.id)).definition).toEqual({ trait: 'country', op: 'eq', value: 'BR' });
  });

  it('refuses to delete a segment others refer to, deletes it otherwise, and flags clock-dependent ones', async () => {
    const base = await segments.create(ws, { name: 'Recent buyers', definition: { event: 'order_placed', within: 'P30D' } });
    const user = await segments.create(ws, { name: 'Recent buyers in BR', definition: { all: [{ segment: base.id }, { trait: 'country', op: 'eq', value: 'BR' }] } });
    expect([base.timeWindowed, user.timeWindowed]).toEqual([true, true]);
    const refused = await segments.delete(ws, base.id).catch((e: unknown) => e);
    expect((refused as SegmentException).errors).toEqual([{ field: 'id', message: `used by ${user.id}` }]);
    await segments.delete(ws, user.id);
    await segments.delete(ws, base.id);
    expect(((await segments.get(ws, base.id).catch((e: unknown) => e)) as SegmentException).code).toBe('SEGMENT_NOT_FOUND');
  });

  it('agrees with the reference evaluator on random condition trees', async () => {
    const scalarTrait = fc.oneof(
      fc.record({ trait: fc.constant('country'), op: fc.constantFrom('eq', 'neq', 'starts_with', 'contains', 'not_contains', 'ends_with'), value: fc.constantFrom(...COUNTRIES, 'b', 'R') }),
      fc.record({ trait: fc.constant('country'), op: fc.constantFrom('in', 'not_in'), value: fc.subarray(COUNTRIES, { minLength: 1 }) }),
      fc.record({ trait: fc.constantFrom('country', 'age', 'vip', 'tags', 'plan', 'signup_at', 'nickname'), op: fc.constantFrom('exists', 'missing') }),
      fc.record({ trait: fc.constant('plan'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom(...PLANS) }),
      fc.record({ trait: fc.constant('age'), op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: fc.integer({ min: 10, max: 85 }) }),
      fc.record({ trait: fc.constant('age'), op: fc.constant('between'), value: fc.tuple(fc.integer({ min: 10, max: 50 }), fc.integer({ min: 50, max: 85 })) }),
      fc.record({ trait: fc.constant('tags'), op: fc.constantFrom('contains', 'not_contains'), value: fc.constantFrom(...TAGS) }),
      fc.record({ trait: fc.constant('vip'), op: fc.constantFrom('eq', 'neq'), value: fc.boolean() }),
      fc.record({ trait: fc.constant('signup_at'), op: fc.constantFrom('before', 'after', 'gt', 'lte'), value: fc.integer({ min: 0, max: 400 }).map((d) => iso(d, now)) }),
      fc.record({ trait: fc.constant('signup_at'), op: fc.constantFrom('within_last', 'more_than_ago'), value: fc.integer({ min: 1, max: 400 }).map((d) => `P${d}D`) }),
      fc.record({ computed: fc.constantFrom('lifetime_value', 'orders_count'), op: fc.constantFrom('gt', 'gte', 'lt', 'lte', 'eq', 'neq'), value: fc.integer({ min: 0, max: 1500 }) }),
      fc.record({ identity: fc.constantFrom('email', 'phone', 'anonymous_id'), op: fc.constantFrom('exists', 'missing') }),
      fc.record({ identity: fc.constant('email'), op: fc.constantFrom('ends_with', 'contains', 'not_contains'), value: fc.constantFrom('gmail.com', 'ACME', '@corp.example') }),
      fc.record(
        {
          event: fc.constantFrom('order_placed', 'page_viewed'),
          where: fc.array(fc.record({ property: fc.constant('total'), op: fc.constantFrom('gte', 'lt'), value: fc.integer({ min: 0, max: 400 }) }), { maxLength: 1 }),
          count: fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte'), value: fc.integer({ min: 0, max: 4 }) }),
          within: fc.integer({ min: 1, max: 200 }).map((d) => `P${d}D`),
        },
        { requiredKeys: ['event'] },
      ),
      fc.record({ consent: fc.constantFrom('email_marketing', 'sms'), granted: fc.boolean() }),
      fc.record({ accountTrait: fc.constant('industry'), op: fc.constantFrom('eq', 'neq'), value: fc.constantFrom('retail', 'software', 'media') }),
      fc.record({ typology: fc.constantFrom(...TYPOLOGIES) }),
      fc.record({ persona: fc.constantFrom(...PERSONAS) }),
    );
    const { tree } = fc.letrec<{ tree: SegmentCondition }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalarTrait as fc.Arbitrary<SegmentCondition>,
        fc.record({ all: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
        fc.record({ any: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
        fc.record({ not: tie('tree') }),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(tree, async (def) => {
        await segments.validate(ws, def);
        const expected = referenceMembers(def, population, world);
        expect(await sqlMembers(def)).toEqual(expected);
        const batch = population.filter((_, i) => i % 11 === 0).map((p) => p.id);
        expect(await sqlMembers(def, batch)).toEqual(expected.filter((id) => batch.includes(id)));
      }),
      { numRuns: 60, seed: 424242 },
    );
  }, 120_000);
});

describe('segments in near real time', () => {
  let core: TestCore;
  let segments: SegmentsService;
  let ingest: IngestService;

  beforeAll(async () => {
    core = await createTestCore();
    segments = core.app.get(SegmentsService);
    ingest = core.app.get(IngestService);
  });
  afterAll(() => core?.close());

  const fact = (externalId: string, identities: { type: string; value: string }[], traits: Record<string, unknown>, source = 'shop'): ProfileFactInput => ({
    source,
    externalId,
    identities,
    traits,
    observedAt: new Date().toISOString(),
  });

  it('re-evaluates changed profiles after an ingest batch, logs entered/exited, and merged-away profiles leave', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [fact('seed', [{ type: 'email', value: 'seed@x.com' }], { country: 'US' })]);
    const br = await segments.create(ws, { name: 'Brazil', definition: { trait: 'country', op: 'eq', value: 'BR' } });
    const buyers = await segments.create(ws, { name: 'Buyers', definition: { event: 'order_placed', within: 'P30D' } });

    const result = await ingest.ingest(ws, [
      fact('a', [{ type: 'email', value: 'ana@x.com' }], { country: 'BR' }),
      fact('b', [{ type: 'email', value: 'bia@x.com' }], { country: 'BR' }),
      { ...fact('c', [{ type: 'email', value: 'caio@x.com' }], { country: 'US' }), events: [{ type: 'order_placed', occurredAt: new Date().toISOString(), properties: { total: 10 }, dedupeKey: 'o1' }] },
    ]);
    expect(result.created).toBe(3);
    const ana = (await core.db.dataSource.query(`SELECT profile_id FROM identities WHERE workspace_id = $1 AND value = 'ana@x.com'`, [ws]))[0].profile_id as string;
    const bia = (await core.db.dataSource.query(`SELECT profile_id FROM identities WHERE workspace_id = $1 AND value = 'bia@x.com'`, [ws]))[0].profile_id as string;
    const caio = (await core.db.dataSource.query(`SELECT profile_id FROM identities WHERE workspace_id = $1 AND value = 'caio@x.com'`, [ws]))[0].profile_id as string;
    expect((await segments.members(ws, br.id)).data.map((m) => m.profileId).sort()).toEqual([ana, bia].sort());
    expect((await segments.members(ws, buyers.id)).data.map((m) => m.profileId)).toEqual([caio]);
    expect((await segments.profileSegments(ws, caio)).segments.map((s) => s.id)).toEqual([buyers.id]);
    const entered = await segments.membershipEvents(ws);
    expect(entered.data.map((e) => [e.segmentId, e.profileId, e.type]).sort()).toEqual(
      [[br.id, ana, 'segment.entered'], [br.id, bia, 'segment.entered'], [buyers.id, caio, 'segment.entered']].sort(),
    );

    // Ana moves away: she exits. Bia shares an identifier with Caio's record: their profiles merge, one of them leaves everything.
    await ingest.ingest(ws, [fact('a', [{ type: 'email', value: 'ana@x.com' }], { country: 'PT' }), fact('bc', [{ type: 'email', value: 'bia@x.com' }, { type: 'email', value: 'caio@x.com' }], {}, 'crm')]);
    const after = await segments.membershipEvents(ws, { cursor: entered.nextCursor! });
    const [loser] = (await core.db.dataSource.query(`SELECT id FROM profiles WHERE workspace_id = $1 AND merged_into IS NOT NULL`, [ws])) as { id: string }[];
    expect(loser).toBeDefined();
    const winner = loser!.id === bia ? caio : bia;
    expect(after.data.filter((e) => e.type === 'segment.exited').map((e) => [e.segmentId, e.profileId]).sort()).toEqual(
      [[br.id, ana], ...(loser!.id === bia ? [[br.id, bia]] : [[buyers.id, caio]])].sort(),
    );
    // The survivor holds both the BR trait and the order now.
    expect((await segments.profileSegments(ws, winner)).segments.map((s) => s.name).sort()).toEqual(['Brazil', 'Buyers']);
    const members = await core.db.dataSource.query(`SELECT segment_id, profile_id FROM segment_memberships WHERE profile_id = $1`, [loser!.id]);
    expect(members).toEqual([]);
    expect((await segments.get(ws, br.id)).size).toBe(1);
    const runs = await segments.runs(ws, br.id);
    expect(runs.map((r) => r.kind)).toContain('incremental');
  });

  it('grows the catalog of trait types from what an ingest wrote, as a rebuild from the profiles tells them', async () => {
    const ws = await core.workspace();
    const catalogs = core.app.get(SegmentCatalogService);
    await ingest.ingest(ws, [fact('seed', [{ type: 'email', value: 'seed@x.com' }], { country: 'US' })]);
    const asRows = (c: SegmentCatalog) => ({ traits: Object.fromEntries(c.traits), computed: Object.fromEntries(c.computed) });
    expect(asRows(await catalogs.catalog(ws)).traits).toEqual({ country: 'string' });
    const result = await ingest.ingest(ws, [
      // Instants of every accepted form, and strings that only look like one (a 30 February, a 25th hour).
      fact('d1', [{ type: 'email', value: 'd1@x.com' }], { renewal_at: '2026-01-31', seen_at: '2026-01-31T12:00:00Z', odd_at: '2025-02-30', late_at: '2026-01-31T24:00:00Z' }),
      fact('d2', [{ type: 'email', value: 'd2@x.com' }], { renewal_at: '2026-02-28 08:30+01:00', seen_at: 'yesterday', score: 3.5, vip: false, tags: ['a'], address: { city: 'Recife' }, gone: null }),
      { ...fact('d3', [{ type: 'email', value: 'd3@x.com' }], { leap_at: '2024-02-29T00:00:00.123456Z', not_leap_at: '2023-02-29' }), events: [{ type: 'order_placed', occurredAt: new Date().toISOString(), properties: { total: 10 }, dedupeKey: 'o1' }] },
    ]);
    expect(result.created).toBe(3);
    const grown = asRows(await catalogs.catalog(ws));
    expect(grown.traits).toMatchObject({ renewal_at: 'date', seen_at: 'string', odd_at: 'string', late_at: 'string', leap_at: 'date', not_leap_at: 'string', score: 'number', vip: 'boolean', tags: 'array', address: 'object' });
    expect(grown.traits).not.toHaveProperty('gone');
    expect(grown.computed).toMatchObject({ orders_count: 'number', first_order_at: 'date' });
    // Its date rule and PostgreSQL's agree: a rebuild from the stored profiles finds the same types.
    await catalogs.rebuild(ws);
    expect(asRows(await catalogs.catalog(ws))).toEqual(grown);
  });

  it('recomputes time-windowed segments on demand', async () => {
    const ws = await core.workspace();
    const recent = await segments.create(ws, { name: 'Recent', definition: { event: 'page_viewed', within: 'P1D' } });
    expect(recent.timeWindowed).toBe(true);
    // Rows written outside the ingest (no change published): only the scheduled pass finds them.
    const [{ id }] = await core.db.dataSource.query(`INSERT INTO profiles (id, workspace_id, kind) VALUES (gen_random_uuid(), $1, 'person') RETURNING id`, [ws]);
    await core.db.dataSource.query(
      `INSERT INTO events (workspace_id, profile_id, origin_profile_id, source, type, occurred_at, dedupe_key) VALUES ($1, $2, $2, 'web', 'page_viewed', now() - interval '1 hour', 'p1')`,
      [ws, id],
    );
    const results = await core.app.get(SegmentMembershipService).recomputeTimeWindowed(ws);
    expect(results.map((r) => [r.segmentId, r.kind, r.entered])).toEqual([[recent.id, 'scheduled', 1]]);
  });

  it('lets members of a time window go as the clock moves, on the worker\'s schedule', async () => {
    const ws = await core.workspace();
    const justNow = await segments.create(ws, { name: 'Just now', definition: { event: 'page_viewed', within: 'PT2S' } });
    await ingest.ingest(ws, [{ ...fact('n', [{ type: 'email', value: 'now@x.com' }], {}), events: [{ type: 'page_viewed', occurredAt: new Date().toISOString(), properties: {}, dedupeKey: 'pv-now' }] }]);
    expect((await segments.get(ws, justNow.id)).size).toBe(1);
    const membership = core.app.get(SegmentMembershipService);
    membership.startSchedules({ timeWindowedEveryMs: 500 });
    try {
      const deadline = Date.now() + 10_000;
      while ((await segments.get(ws, justNow.id)).size !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    } finally {
      membership.stopSchedules();
    }
    expect((await segments.get(ws, justNow.id)).size).toBe(0);
    expect((await segments.runs(ws, justNow.id)).map((r) => [r.kind, r.exited])).toContainEqual(['scheduled', 1]);
  });
});
