import type { ProfileFactInput } from '@portrait/connector-sdk';
import { PersonaAssignmentService } from '../../src/modules/personas/persona-assignment.service.js';
import { personaInputSchema, type PersonaInput } from '../../src/modules/personas/persona-definition.js';
import { PersonaException } from '../../src/modules/personas/persona.exception.js';
import { PersonasService, type PersonaView } from '../../src/modules/personas/personas.service.js';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { ProfileListingService } from '../../src/modules/profiles/profile-listing.service.js';
import { ProfilesService } from '../../src/modules/profiles/profiles.service.js';
import type { SegmentCondition } from '../../src/modules/segments/segment-definition.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { WebhooksService } from '../../src/modules/webhooks/webhooks.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { evaluate, type ReferenceWorld } from '../segments/reference-evaluator.js';
import { generatePopulation, insertPopulation, type TestProfile } from '../segments/segment-population.js';

type Fact = ProfileFactInput;
type Event = NonNullable<Fact['events']>[number];

const person = (name: string, traits: Record<string, unknown> = {}, events: Event[] = [], observedAt = new Date().toISOString()): Fact => ({
  source: 'shop',
  externalId: name,
  identities: [{ type: 'email', value: `${name}@example.org` }],
  traits,
  events,
  observedAt,
});
const order = (dedupeKey: string, properties: Record<string, unknown> = {}): Event => ({ type: 'order_placed', occurredAt: new Date().toISOString(), properties: { total: 10, ...properties }, dedupeKey });
const pageView = (dedupeKey: string): Event => ({ type: 'page_viewed', occurredAt: new Date().toISOString(), properties: { path: '/' }, dedupeKey });
const rule = (condition: SegmentCondition, weight = 1, label?: string) => ({ condition, weight, ...(label ? { label } : {}) });

describe('personas', () => {
  let core: TestCore;
  let personas: PersonasService;
  let assignment: PersonaAssignmentService;
  let ingest: IngestService;
  let profiles: ProfilesService;
  let segments: SegmentsService;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'test-secret-key-of-at-least-32-characters!' } });
    personas = core.app.get(PersonasService);
    assignment = core.app.get(PersonaAssignmentService);
    ingest = core.app.get(IngestService);
    profiles = core.app.get(ProfilesService);
    segments = core.app.get(SegmentsService);
  });
  afterAll(() => core?.close());

  const idOf = async (ws: string, name: string) => (await profiles.findByIdentity(ws, 'email', `${name}@example.org`))!.id;
  /** Each named person's persona (by the persona's name) and score. */
  const assignments = async (ws: string, names: string[], by: PersonaView[]) => {
    const out: Record<string, [string | null, number | null]> = {};
    for (const name of names) {
      const profile = await profiles.get(ws, await idOf(ws, name));
      out[name] = [by.find((p) => p.id === profile.personaId)?.name ?? profile.personaId, profile.personaScore];
    }
    return out;
  };

  it('scores people by the weight of the rules they match and assigns each the best persona that reaches its minimum', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [
      person('ana', { country: 'BR' }, [order('a1'), order('a2'), order('a3')]),
      person('bia', { country: 'BR' }),
      person('caio', { country: 'US' }, [order('c1', { coupon: 'SUMMER' })]),
      person('dora', { country: 'FR' }),
      { source: 'crm', externalId: 'acme', kind: 'account', identities: [{ type: 'domain', value: 'acme.example' }], traits: { country: 'BR' }, observedAt: new Date().toISOString() },
    ]);
    const loyal = await personas.create(ws, {
      name: 'Loyal Brazilian',
      summary: 'Buys again and again, close to home',
      card: { role: 'household buyer', goals: ['save time'], pain_points: ['late deliveries'], preferred_channels: ['email'], typology: 'loyal', demographics: { age_range: '30-45' } },
      rules: [rule({ trait: 'country', op: 'eq', value: 'BR' }, 1, 'in Brazil'), rule({ event: 'order_placed', count: { op: 'gte', value: 2 } }, 3, 'orders again')],
    });
    // ana: 1 + 3 of 4; bia: 1 of 4, under the default minimum (0.5).
    expect(loyal).toMatchObject({ key: 'loyal-brazilian', minScore: 0.5, version: 1, size: 1, card: { typology: 'loyal', demographics: { age_range: '30-45' } } });
    expect(loyal.rules[0]).toEqual({ condition: { trait: 'country', op: 'eq', value: 'BR' }, weight: 1, label: 'in Brazil' });

    const deal = await personas.create(ws, {
      name: 'Deal hunter',
      rules: [rule({ event: 'order_placed', where: [{ property: 'coupon', op: 'exists' }] }, 2), rule({ trait: 'country', op: 'in', value: ['US', 'BR'] }, 2)],
      minScore: 0.5,
    });
    const all = [loyal, deal];
    // ana reaches both (1 and 0.5): the higher score wins. The account matches Deal hunter's rules but accounts have no persona.
    expect(await assignments(ws, ['ana', 'bia', 'caio', 'dora'], all)).toEqual({
      ana: ['Loyal Brazilian', 1],
      bia: ['Deal hunter', 0.5],
      caio: ['Deal hunter', 1],
      dora: [null, null],
    });
    const [account] = await core.db.dataSource.query(`SELECT persona_id FROM profiles WHERE workspace_id = $1 AND kind = 'account'`, [ws]);
    expect(account.persona_id).toBeNull();

    expect((await personas.get(ws, loyal.id)).size).toBe(1);
    expect((await personas.get(ws, deal.id)).size).toBe(2);
    const first = await personas.list(ws, { limit: 1 });
    expect(first.data.map((p) => [p.name, p.size])).toEqual([['Loyal Brazilian', 1]]);
    const rest = await personas.list(ws, { cursor: first.nextCursor! });
    expect(rest).toEqual({ data: [expect.objectContaining({ name: 'Deal hunter', size: 2 })], nextCursor: null });

    const members = await personas.members(ws, deal.id, { limit: 1 });
    const more = await personas.members(ws, deal.id, { cursor: members.nextCursor! });
    expect([...members.data, ...more.data].map((m) => m.profileId).sort()).toEqual([await idOf(ws, 'bia'), await idOf(ws, 'caio')].sort());
    expect(members.data[0]!.assignedAt).toMatch(/^\d{4}-/);
    const listed = await core.app.get(ProfileListingService).list(ws, { personaId: deal.id });
    expect(listed.data.map((p) => p.traits.country).sort()).toEqual(['BR', 'US']);
    expect(listed.data.every((p) => p.personaId === deal.id)).toBe(true);
  });

  it('breaks ties in favour of the older persona (creation time, then id); a higher score beats an older persona', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [person('eve', { plan: 'pro' }), person('fay', { plan: 'pro', vip: true })]);
    const first = await personas.create(ws, { name: 'First', rules: [rule({ trait: 'plan', op: 'eq', value: 'pro' }), rule({ trait: 'country', op: 'exists' })] });
    const second = await personas.create(ws, { name: 'Second', rules: [rule({ trait: 'plan', op: 'eq', value: 'pro' }, 5), rule({ trait: 'country', op: 'exists' }, 5)] });
    const third = await personas.create(ws, { name: 'Third', rules: [rule({ trait: 'plan', op: 'eq', value: 'pro' }), rule({ trait: 'vip', op: 'eq', value: true })] });
    const all = [first, second, third];
    // eve: 0.5 everywhere, the oldest wins; fay: 1 for Third.
    expect(await assignments(ws, ['eve', 'fay'], all)).toEqual({ eve: ['First', 0.5], fay: ['Third', 1] });

    // Two personas created at the same instant: the smaller id wins.
    await core.db.dataSource.query(`UPDATE personas SET created_at = (SELECT created_at FROM personas WHERE id = $1) WHERE id = $2`, [first.id, second.id]);
    await assignment.reassignAll(ws);
    const winner = [first, second].sort((a, b) => (a.id < b.id ? -1 : 1))[0]!;
    expect((await assignments(ws, ['eve'], all)).eve).toEqual([winner.name, 0.5]);
  });

  it('compares scores with the minimum in exact decimals, never assigns a score of zero, and versions the rules', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [person('gus', { tier: 'gold' }), person('hal', { tier: 'bronze' }), person('ida', { tier: 'none' })]);
    const tiers = [rule({ trait: 'tier', op: 'eq', value: 'silver' }, 0.1), rule({ trait: 'tier', op: 'eq', value: 'bronze' }, 0.2), rule({ trait: 'tier', op: 'eq', value: 'gold' }, 0.3)];
    // 0.3 of 0.6 is one half (in binary floating point, 0.3 / (0.1 + 0.2 + 0.3) is just under it).
    const exact = await personas.create(ws, { name: 'Exact', rules: tiers, minScore: 0.5 });
    expect(await assignments(ws, ['gus', 'hal', 'ida'], [exact])).toEqual({ gus: ['Exact', 0.5], hal: [null, null], ida: [null, null] });

    const lowered = await personas.update(ws, exact.id, { name: 'Exact', rules: tiers, minScore: 0 });
    expect([lowered.version, lowered.minScore, lowered.size]).toEqual([2, 0, 2]);
    const now = await assignments(ws, ['gus', 'hal', 'ida'], [exact]);
    expect(now.hal[0]).toBe('Exact');
    expect(now.hal[1]).toBeCloseTo(1 / 3, 6);
    // A minimum of 0 still needs one matching rule.
    expect(now.ida).toEqual([null, null]);
    const renamed = await personas.update(ws, exact.id, { name: 'Exact tiers', rules: tiers, minScore: 0 });
    expect([renamed.version, renamed.name, renamed.key]).toEqual([2, 'Exact tiers', 'exact']);
  });

  it('re-assigns changed profiles after each ingest batch, before segments with a persona leaf are re-evaluated', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [person('jon', {}, [pageView('j1')])]);
    const browser = await personas.create(ws, { name: 'Browser', rules: [rule({ event: 'page_viewed' }), rule({ event: 'order_placed', count: { op: 'eq', value: 0 } })] });
    const buyer = await personas.create(ws, { name: 'Buyer', rules: [rule({ event: 'order_placed' })] });
    const buyers = await segments.create(ws, { name: 'Buyer persona', definition: { persona: buyer.id } });
    await core.app.get(SegmentMembershipService).recompute(ws, buyers.id);
    const jon = await idOf(ws, 'jon');
    expect(await assignments(ws, ['jon'], [browser, buyer])).toEqual({ jon: ['Browser', 1] });
    expect((await segments.members(ws, buyers.id)).data).toEqual([]);

    // An order: Browser falls to 0.5, Buyer rises to 1. The segment sees it in the same fan-out.
    await ingest.ingest(ws, [person('jon', {}, [order('j2')])]);
    expect(await assignments(ws, ['jon'], [browser, buyer])).toEqual({ jon: ['Buyer', 1] });
    expect((await segments.members(ws, buyers.id)).data.map((m) => m.profileId)).toEqual([jon]);
    expect((await segments.membershipEvents(ws, { segmentId: buyers.id })).data.map((e) => [e.type, e.profileId])).toEqual([['segment.entered', jon]]);

    // Two profiles merge: the one merged away holds no persona; the survivor is scored on everything it now has.
    await ingest.ingest(ws, [person('kim', {}, [pageView('k1')]), { ...person('lou', {}, [order('l1')]), identities: [{ type: 'phone', value: '+14155550123' }] }]);
    const kim = await idOf(ws, 'kim');
    expect((await profiles.get(ws, kim)).personaId).toBe(browser.id);
    await ingest.ingest(ws, [{ ...person('kim-lou'), identities: [{ type: 'email', value: 'kim@example.org' }, { type: 'phone', value: '+14155550123' }] }]);
    const [loser] = await core.db.dataSource.query(`SELECT id, persona_id, persona_score FROM profiles WHERE workspace_id = $1 AND merged_into IS NOT NULL`, [ws]);
    expect(loser).toMatchObject({ persona_id: null, persona_score: null });
    const survivor = await profiles.get(ws, kim);
    expect([survivor.personaId, survivor.personaScore]).toEqual([buyer.id, 1]);
    expect((await segments.members(ws, buyers.id)).data.map((m) => m.profileId).sort()).toEqual([jon, survivor.id].sort());
  });

  it('queues one persona.assigned delivery per change of a profile\'s persona for each subscription', async () => {
    const ws = await core.workspace();
    const subscription = await core.app.get(WebhooksService).create(ws, { url: 'http://127.0.0.1:9/hooks', events: ['persona.assigned'] });
    await core.app.get(WebhooksService).create(ws, { url: 'http://127.0.0.1:9/other', events: ['profile.merged'] });
    await ingest.ingest(ws, [person('mia', { country: 'BR' }), person('ned', { country: 'US' })]);
    const [mia, ned] = [await idOf(ws, 'mia'), await idOf(ws, 'ned')];
    const delivered = async () =>
      (
        (await core.db.dataSource.query(
          `SELECT event_type, payload FROM webhook_deliveries WHERE workspace_id = $1 AND subscription_id = $2 ORDER BY created_at, payload->'data'->>'profileId'`,
          [ws, subscription.id],
        )) as { event_type: string; payload: { type: string; data: Record<string, unknown> } }[]
      ).map((d) => {
        expect(d.event_type).toBe('persona.assigned');
        expect(d.payload.type).toBe('persona.assigned');
        return d.payload.data;
      });

    const br = await personas.create(ws, { name: 'Brazilians', rules: [rule({ trait: 'country', op: 'eq', value: 'BR' })] });
    expect(await delivered()).toEqual([{ profileId: mia, personaId: br.id, previousPersonaId: null, score: 1 }]);

    await ingest.ingest(ws, [person('mia', { country: 'US' }, [], new Date(Date.now() + 1000).toISOString())]);
    expect((await delivered()).slice(1)).toEqual([{ profileId: mia, personaId: null, previousPersonaId: br.id, score: null }]);

    const us = await personas.create(ws, { name: 'Americans', rules: [rule({ trait: 'country', op: 'eq', value: 'US' })] });
    expect((await delivered()).slice(2).sort((a, b) => String(a.profileId).localeCompare(String(b.profileId)))).toEqual(
      [mia, ned].sort().map((profileId) => ({ profileId, personaId: us.id, previousPersonaId: null, score: 1 })),
    );
    // A change that moves nobody owes nothing.
    await ingest.ingest(ws, [person('ned', { country: 'US', first_name: 'Ned' }, [], new Date(Date.now() + 2000).toISOString())]);
    expect(await delivered()).toHaveLength(4);

    await personas.delete(ws, us.id);
    expect((await delivered()).slice(4).map((d) => [d.profileId, d.personaId, d.previousPersonaId]).sort()).toEqual(
      [[mia, null, us.id], [ned, null, us.id]].sort(),
    );
  });

  it('refuses invalid personas with field paths, persona and segment leaves inside rules included, and stores nothing', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [person('olga', { age: 30 })]);
    const anId = '00000000-0000-4000-8000-000000000000';
    const error = await personas
      .create(ws, {
        name: '',
        card: { typology: 'stingy', mood: 'happy' },
        rules: [
          { condition: { persona: anId }, weight: 1 },
          { condition: { all: [{ trait: 'age', op: 'contains', value: 'x' }, { segment: anId }] }, weight: 0 },
          { condition: { nothing: 1 }, weight: 1 },
          { weight: 1 },
          { condition: { not: { any: [{ trait: 'age', op: 'gt', value: 'old' }, { persona: anId }] } }, weight: 1, extra: true },
        ],
        minScore: 2,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersonaException);
    expect((error as PersonaException).code).toBe('INVALID_PERSONA');
    expect((error as PersonaException).errors.map((e) => e.field).sort()).toEqual(
      [
        'name',
        'card',
        'card.typology',
        'rules.1.weight',
        'rules.4',
        'minScore',
        'rules.0.condition.persona',
        'rules.1.condition.all[0].op',
        'rules.1.condition.all[1].segment',
        'rules.2.condition',
        'rules.3.condition',
        'rules.4.condition.not.any[0].value',
        'rules.4.condition.not.any[1].persona',
      ].sort(),
    );
    expect((error as PersonaException).errors.find((e) => e.field === 'rules.0.condition.persona')!.message).toContain('cannot refer to a persona');

    const empty = (await personas.create(ws, { name: 'Nobody', rules: [] }).catch((e: unknown) => e)) as PersonaException;
    expect(empty.errors).toEqual([{ field: 'rules', message: 'a persona needs at least one rule' }]);
    const notAnObject = (await personas.create(ws, 'persona').catch((e: unknown) => e)) as PersonaException;
    expect(notAnObject.errors.map((e) => e.field)).toEqual(['(body)']);
    await personas.create(ws, { name: 'Taken', key: 'taken', rules: [rule({ trait: 'age', op: 'gte', value: 18 })] });
    const taken = (await personas.create(ws, { name: 'Other', key: 'taken', rules: [rule({ trait: 'age', op: 'gte', value: 18 })] }).catch((e: unknown) => e)) as PersonaException;
    expect(taken.errors).toEqual([{ field: 'key', message: 'another persona of the workspace has this key' }]);
    expect((await personas.list(ws)).data.map((p) => p.key)).toEqual(['taken']);
  });

  it('deletes a persona: its profiles get their next best persona or none, and segments on it empty', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [person('oli', { plan: 'pro', vip: true }), person('pam', { plan: 'pro' })]);
    const pro = await personas.create(ws, { name: 'Pro', rules: [rule({ trait: 'plan', op: 'eq', value: 'pro' })] });
    const vip = await personas.create(ws, { name: 'VIP', rules: [rule({ trait: 'vip', op: 'eq', value: true })] });
    const onPro = await segments.create(ws, { name: 'On Pro', definition: { persona: pro.id } });
    await core.app.get(SegmentMembershipService).recompute(ws, onPro.id);
    expect(await assignments(ws, ['oli', 'pam'], [pro, vip])).toEqual({ oli: ['Pro', 1], pam: ['Pro', 1] });
    expect((await segments.get(ws, onPro.id)).size).toBe(2);

    await personas.delete(ws, pro.id);
    expect(await assignments(ws, ['oli', 'pam'], [pro, vip])).toEqual({ oli: ['VIP', 1], pam: [null, null] });
    expect(((await personas.get(ws, pro.id).catch((e: unknown) => e)) as PersonaException).code).toBe('PERSONA_NOT_FOUND');
    expect((await personas.list(ws)).data.map((p) => p.name)).toEqual(['VIP']);
    const [{ count }] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM profiles WHERE persona_id = $1`, [pro.id]);
    expect(count).toBe(0);
    expect((await segments.members(ws, onPro.id)).data).toEqual([]);
    // The key is free again.
    expect((await personas.create(ws, { name: 'Pro', rules: [rule({ trait: 'plan', op: 'eq', value: 'pro' })] })).key).toBe('pro');
  });

  it('lets profiles leave a persona whose rules have a time window as the clock moves, on the worker\'s schedule', async () => {
    const ws = await core.workspace();
    const recent = await personas.create(ws, { name: 'Just browsing', rules: [rule({ event: 'page_viewed', within: 'PT2S' })] });
    await ingest.ingest(ws, [person('quin', {}, [pageView('q1')])]);
    expect((await personas.get(ws, recent.id)).size).toBe(1);
    // A workspace without clock-dependent rules is left alone.
    expect(await assignment.reassignTimeWindowed(await core.workspace())).toEqual([]);
    assignment.startSchedules({ timeWindowedEveryMs: 500 });
    try {
      const deadline = Date.now() + 10_000;
      while ((await personas.get(ws, recent.id)).size !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    } finally {
      assignment.stopSchedules();
    }
    expect((await personas.get(ws, recent.id)).size).toBe(0);
    expect((await profiles.get(ws, await idOf(ws, 'quin'))).personaId).toBeNull();
  });

  it('agrees with a plain reference scoring over a generated population, batch after batch', async () => {
    const ws = await core.workspace();
    const now = Date.now();
    const population: TestProfile[] = generatePopulation(900, 20261124, now).map((p) => ({ ...p, personaId: null }));
    await insertPopulation(core.db.dataSource, ws, population);
    const world: ReferenceWorld = { byId: new Map(population.map((p) => [p.id, p])), segments: new Map(), now };
    const inputs: PersonaInput[] = [
      {
        name: 'Big spender',
        rules: [
          rule({ computed: 'lifetime_value', op: 'gt', value: 500 }, 3),
          rule({ event: 'order_placed', where: [{ property: 'total', op: 'gte', value: 100 }], count: { op: 'gte', value: 2 }, within: 'P120D' }, 2),
          rule({ consent: 'email_marketing', granted: true }, 1),
        ],
        minScore: 0.5,
      },
      {
        name: 'Coupon hunter',
        rules: [rule({ event: 'order_placed', where: [{ property: 'coupon', op: 'exists' }] }, 2), rule({ trait: 'plan', op: 'in', value: ['free', 'pro'] }, 1), rule({ not: { trait: 'vip', op: 'eq', value: true } }, 1)],
        minScore: 0.75,
      },
      {
        name: 'Business reader',
        rules: [rule({ accountTrait: 'industry', op: 'eq', value: 'software' }, 2), rule({ identity: 'email', op: 'ends_with', value: '@corp.example' }, 1), rule({ event: 'page_viewed', within: 'P30D' }, 1)],
        minScore: 0.4,
      },
      { name: 'Anyone in Brazil', rules: [rule({ trait: 'country', op: 'in', value: ['BR', 'br'] })], minScore: 1 },
    ];
    for (const input of inputs) expect(personaInputSchema.safeParse(input).success).toBe(true);
    const created: PersonaView[] = [];
    for (const input of inputs) created.push(await personas.create(ws, input));

    const expected = new Map<string, string | null>();
    for (const p of population) {
      let best: { id: string; score: number } | undefined;
      if (p.kind === 'person' && p.mergedInto === null) {
        for (const persona of created) {
          const total = persona.rules.reduce((sum, r) => sum + r.weight, 0);
          const score = persona.rules.filter((r) => evaluate(r.condition, p, world)).reduce((sum, r) => sum + r.weight, 0) / total;
          if (score > 0 && score >= persona.minScore && (!best || score > best.score)) best = { id: persona.id, score };
        }
      }
      expected.set(p.id, best?.id ?? null);
    }
    const actual = async () => {
      const rows: { id: string; persona_id: string | null }[] = await core.db.dataSource.query(`SELECT id, persona_id FROM profiles WHERE workspace_id = $1`, [ws]);
      return new Map(rows.map((r) => [r.id, r.persona_id]));
    };
    expect(await actual()).toEqual(expected);
    // Every persona gets someone, and not everyone gets one: the case is not trivial.
    for (const persona of created) expect((await personas.get(ws, persona.id)).size).toBeGreaterThan(0);
    expect([...expected.values()].filter((v) => v === null).length).toBeGreaterThan(0);

    // Forgotten assignments come back in small batches too (each one statement over its profiles).
    await core.db.dataSource.query(`UPDATE profiles SET persona_id = NULL, persona_score = NULL WHERE workspace_id = $1`, [ws]);
    const run = await assignment.reassignAll(ws, { batchSize: 64 });
    expect(run.evaluated).toBe(population.filter((p) => p.mergedInto === null).length);
    expect(run.changed).toBe([...expected.values()].filter((v) => v !== null).length);
    expect(await actual()).toEqual(expected);
    const again = await assignment.reassignAll(ws, { batchSize: 64 });
    expect(again.changed).toBe(0);
  }, 120_000);
});
