import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** A generated workspace population held in memory (for the reference evaluator) and inserted with set-based SQL. */
export interface TestProfile {
  id: string;
  kind: 'person' | 'account';
  traits: Record<string, unknown>;
  computed: Record<string, unknown>;
  mergedInto: string | null;
  personaId: string | null;
  typology: string | null;
  identities: { type: string; value: string }[];
  events: { type: string; occurredAt: number; properties: Record<string, unknown> }[];
  consents: { purpose: string; source: string; granted: boolean; at: number }[];
  accounts: string[];
}

const DAY = 86_400_000;
export const PERSONAS = [randomUUID(), randomUUID()];
export const COUNTRIES = ['BR', 'US', 'FR', 'DE', 'br'];
export const PLANS = ['free', 'pro', 'Enterprise'];
export const TAGS = ['vip', 'newsletter', 'beta', 'churn_risk'];
export const INDUSTRIES = ['retail', 'software', 'media'];
export const TYPOLOGIES = ['loyal', 'impulsive', 'deal_based'];

/** A small seeded generator, so a failing case can be replayed. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[int(0, list.length - 1)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}

/** Instants sit half a day off whole days back from now, so day-based windows never cut one by a clock tick. */
const daysAgo = (now: number, days: number) => now - days * DAY - DAY / 2;

export function generatePopulation(count: number, seed: number, now = Date.now()): TestProfile[] {
  const r = random(seed);
  const accounts: TestProfile[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(count / 50)); i++) {
    accounts.push({
      id: randomUUID(), kind: 'account', traits: { industry: r.pick(INDUSTRIES), employees: r.int(1, 5000) }, computed: {},
      mergedInto: null, personaId: null, typology: null, identities: [{ type: 'domain', value: `acme${i}.example` }], events: [], consents: [], accounts: [],
    });
  }
  const people: TestProfile[] = [];
  for (let i = 0; i < count; i++) {
    const traits: Record<string, unknown> = {};
    if (r.chance(0.85)) traits.country = r.pick(COUNTRIES);
    if (r.chance(0.7)) traits.age = r.int(16, 80);
    if (r.chance(0.8)) traits.plan = r.pick(PLANS);
    if (r.chance(0.5)) traits.tags = TAGS.filter(() => r.chance(0.4));
    if (r.chance(0.6)) traits.vip = r.chance(0.3);
    if (r.chance(0.75)) traits.signup_at = new Date(daysAgo(now, r.int(0, 400))).toISOString();
    // Mixed on purpose: dates, strings that only look like dates, numbers. Date operators must never fail on them.
    if (r.chance(0.7)) traits.renewal_at = r.chance(0.7) ? new Date(daysAgo(now, r.int(-100, 100))).toISOString() : r.pick(['2026-02-30', '0000-01-01', 'soon', '2026-13-01T00:00:00Z', '2026-01-05T25:00:00Z', 42]);
    if (r.chance(0.6)) traits.first_name = r.pick(['Ana', 'ana', 'Bruno', 'Carla', "O'Brien", 'Zoë']);
    const computed: Record<string, unknown> = {};
    const events: TestProfile['events'] = [];
    const orders = r.chance(0.6) ? r.int(0, 7) : 0;
    let ltv = 0;
    for (let o = 0; o < orders; o++) {
      const total = r.int(5, 400);
      ltv += total;
      events.push({ type: 'order_placed', occurredAt: daysAgo(now, r.int(0, 200)), properties: { total, currency: r.pick(['BRL', 'USD']), coupon: r.chance(0.3) ? 'SUMMER' : undefined } });
    }
    for (let v = r.int(0, 4); v > 0; v--) events.push({ type: 'page_viewed', occurredAt: daysAgo(now, r.int(0, 60)), properties: { path: r.pick(['/', '/pricing', '/blog/x']) } });
    if (orders > 0) {
      computed.lifetime_value = ltv;
      computed.orders_count = orders;
    }
    const identities: TestProfile['identities'] = [];
    if (r.chance(0.7)) identities.push({ type: 'email', value: `u${i}@${r.pick(['gmail.com', 'acme.example', 'corp.example'])}` });
    if (r.chance(0.3)) identities.push({ type: 'phone', value: `+5511${String(900000000 + i)}` });
    if (identities.length === 0 || r.chance(0.3)) identities.push({ type: 'anonymous_id', value: `anon-${i}` });
    const consents: TestProfile['consents'] = [];
    if (r.chance(0.6)) consents.push({ purpose: 'email_marketing', source: 'shop', granted: r.chance(0.6), at: daysAgo(now, r.int(0, 100)) });
    if (r.chance(0.3)) consents.push({ purpose: 'email_marketing', source: 'mailchimp', granted: r.chance(0.5), at: daysAgo(now, r.int(0, 100)) });
    if (r.chance(0.3)) consents.push({ purpose: 'sms', source: 'shop', granted: r.chance(0.5), at: daysAgo(now, r.int(0, 100)) });
    people.push({
      id: randomUUID(), kind: 'person', traits, computed, mergedInto: null,
      personaId: r.chance(0.3) ? r.pick(PERSONAS) : null, typology: r.chance(0.5) ? r.pick(TYPOLOGIES) : null,
      identities, events, consents, accounts: r.chance(0.3) ? [r.pick(accounts).id] : [],
    });
  }
  // A few profiles merged into others: never members of anything.
  for (let i = 0; i < people.length; i += 97) people[i]!.mergedInto = people[(i + 1) % people.length]!.id;
  return [...accounts, ...people];
}

/** Inserts a population into a workspace: one statement per table. */
export async function insertPopulation(dataSource: DataSource, workspaceId: string, population: TestProfile[]): Promise<void> {
  const live = (p: TestProfile) => p.mergedInto === null;
  await dataSource.query(
    `INSERT INTO profiles (id, workspace_id, kind, traits, computed, merged_into, persona_id, typology)
     SELECT id, $1, kind, traits, computed, merged_into, persona_id, typology
     FROM json_to_recordset($2::json) AS x(id uuid, kind text, traits jsonb, computed jsonb, merged_into uuid, persona_id uuid, typology text)`,
    [workspaceId, JSON.stringify(population.map((p) => ({ id: p.id, kind: p.kind, traits: p.traits, computed: p.computed, merged_into: p.mergedInto, persona_id: p.personaId, typology: p.typology })))],
  );
  await dataSource.query(
    `INSERT INTO identities (workspace_id, type, value, profile_id, origin_profile_id, source)
     SELECT $1, type, value, profile_id, profile_id, 'test' FROM json_to_recordset($2::json) AS x(type text, value text, profile_id uuid)`,
    [workspaceId, JSON.stringify(population.filter(live).flatMap((p) => p.identities.map((i) => ({ ...i, profile_id: p.id }))))],
  );
  let n = 0;
  await dataSource.query(
    `INSERT INTO events (workspace_id, profile_id, origin_profile_id, source, type, occurred_at, properties, dedupe_key)
     SELECT $1, profile_id, profile_id, 'test', type, occurred_at, properties, dedupe_key
     FROM json_to_recordset($2::json) AS x(profile_id uuid, type text, occurred_at timestamptz, properties jsonb, dedupe_key text)`,
    [workspaceId, JSON.stringify(population.filter(live).flatMap((p) => p.events.map((e) => ({ profile_id: p.id, type: e.type, occurred_at: new Date(e.occurredAt).toISOString(), properties: e.properties, dedupe_key: `${workspaceId}-${n++}` }))))],
  );
  await dataSource.query(
    `INSERT INTO consents (workspace_id, profile_id, origin_profile_id, purpose, source, granted, at)
     SELECT $1, profile_id, profile_id, purpose, source, granted, at FROM json_to_recordset($2::json) AS x(profile_id uuid, purpose text, source text, granted boolean, at timestamptz)`,
    [workspaceId, JSON.stringify(population.filter(live).flatMap((p) => p.consents.map((c) => ({ profile_id: p.id, purpose: c.purpose, source: c.source, granted: c.granted, at: new Date(c.at).toISOString() }))))],
  );
  await dataSource.query(
    `INSERT INTO account_links (workspace_id, person_id, account_id, origin_person_id, origin_account_id, source)
     SELECT $1, person_id, account_id, person_id, account_id, 'test' FROM json_to_recordset($2::json) AS x(person_id uuid, account_id uuid)`,
    [workspaceId, JSON.stringify(population.filter(live).flatMap((p) => p.accounts.map((a) => ({ person_id: p.id, account_id: a }))))],
  );
  await dataSource.query(`ANALYZE`);
}
