import { createHash } from 'node:crypto';
import { seededRandom as random } from '../modules/personas/discovery/kmeans-clustering.js';

/**
 * A population with planted buyer clusters, for persona discovery's tests and benchmark: each person
 * is drawn from one of four behaviours (with noise inside each one's ranges), written straight into
 * the profile tables as the ingest would leave them (computed traits, traits, recent e-mail opens and
 * page views). Deterministic for a seed.
 */
export interface PlantedPerson {
  id: string;
  /** The planted cluster (0 to PLANTED_CLUSTERS.length − 1). */
  cluster: number;
  traits: Record<string, unknown>;
  computed: Record<string, unknown>;
  events: { type: string; daysAgo: number }[];
}

type Range = [number, number];
interface PlantedCluster {
  name: string;
  orders: Range;
  avgOrderValue: Range;
  daysSinceLastOrder: Range;
  discountShare: Range;
  emailOpens: Range;
  pageViews: Range;
  age: Range;
  countries: string[];
}

/** The planted behaviours: loyal big spenders, deal hunters, lapsed one-time buyers, browsers who never ordered. */
export const PLANTED_CLUSTERS: PlantedCluster[] = [
  { name: 'loyal big spenders', orders: [15, 25], avgOrderValue: [250, 350], daysSinceLastOrder: [2, 20], discountShare: [0, 0.1], emailOpens: [8, 15], pageViews: [4, 10], age: [40, 55], countries: ['BR'] },
  { name: 'deal hunters', orders: [4, 8], avgOrderValue: [50, 90], daysSinceLastOrder: [20, 60], discountShare: [0.6, 0.9], emailOpens: [3, 8], pageViews: [2, 6], age: [25, 35], countries: ['BR', 'US'] },
  { name: 'lapsed one-time buyers', orders: [1, 1], avgOrderValue: [40, 120], daysSinceLastOrder: [200, 400], discountShare: [0, 0], emailOpens: [0, 1], pageViews: [0, 1], age: [30, 60], countries: ['US'] },
  { name: 'browsers', orders: [0, 0], avgOrderValue: [0, 0], daysSinceLastOrder: [0, 0], discountShare: [0, 0], emailOpens: [0, 3], pageViews: [10, 25], age: [18, 28], countries: ['PT'] },
];

/** Person `index` of the population of `seed`: the same index and seed, the same person, id included. */
export function plantedPerson(index: number, seed: number): PlantedPerson {
  const r = random(seed * 1_000_003 + index);
  const cluster = index % PLANTED_CLUSTERS.length;
  const c = PLANTED_CLUSTERS[cluster]!;
  const between = ([lo, hi]: Range) => lo + r() * (hi - lo);
  const whole = ([lo, hi]: Range) => lo + Math.floor(r() * (hi - lo + 1));
  const orders = whole(c.orders);
  const computed: Record<string, unknown> = { orders_count: orders, lifetime_value: 0 };
  if (orders > 0) {
    const aov = Math.round(between(c.avgOrderValue) * 100) / 100;
    const discounted = Math.round(between(c.discountShare) * orders);
    computed.avg_order_value = aov;
    computed.lifetime_value = Math.round(aov * orders * 100) / 100;
    computed.days_since_last_order = whole([c.daysSinceLastOrder[0], c.daysSinceLastOrder[1]]);
    computed.discount_order_share = Math.round((discounted / orders) * 10_000) / 10_000;
    computed.refunds_count = 0;
  }
  const events = [
    ...Array.from({ length: whole(c.emailOpens) }, () => ({ type: 'email_opened', daysAgo: between([0, 80]) })),
    ...Array.from({ length: whole(c.pageViews) }, () => ({ type: 'page_viewed', daysAgo: between([0, 25]) })),
  ];
  const country = c.countries[Math.floor(r() * c.countries.length)]!;
  return { id: plantedId(seed, index), cluster, traits: { country, age: whole(c.age) }, computed, events };
}

/**
 * The id of person `index` of `seed`: a UUID drawn from both, so that the same population reads back in
 * the same order (a random id reordered the people, and with them what a seeded clustering found).
 */
function plantedId(seed: number, index: number): string {
  const hex = createHash('sha256').update(`planted:${seed}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Persons `from` to `to` (exclusive) of the population of `seed`. */
export function plantedPopulation(from: number, to: number, seed: number): PlantedPerson[] {
  return Array.from({ length: to - from }, (_, i) => plantedPerson(from + i, seed));
}

/** Anything that runs a parameterized statement: a TypeORM DataSource, a node-postgres client. */
interface Queryable {
  query(text: string, params: unknown[]): Promise<unknown>;
}

/** Writes people into a workspace (profiles, an e-mail identity each, their events), relative to the database's clock. */
export async function insertPlantedPopulation(dataSource: Queryable, workspaceId: string, people: PlantedPerson[]): Promise<void> {
  await dataSource.query(
    `INSERT INTO profiles (id, workspace_id, kind, traits, computed)
     SELECT id, $1, 'person', traits, computed FROM json_to_recordset($2::json) AS x(id uuid, traits jsonb, computed jsonb)`,
    [workspaceId, JSON.stringify(people.map((p) => ({ id: p.id, traits: p.traits, computed: p.computed })))],
  );
  await dataSource.query(
    `INSERT INTO identities (workspace_id, type, value, profile_id, origin_profile_id, source)
     SELECT $1, 'email', 'p-' || id || '@example.org', id, id, 'test' FROM unnest($2::uuid[]) AS x(id)`,
    [workspaceId, people.map((p) => p.id)],
  );
  const events = people.flatMap((p) => p.events.map((e, i) => ({ profile_id: p.id, type: e.type, days_ago: e.daysAgo, dedupe_key: `${p.id}-${i}` })));
  await dataSource.query(
    `INSERT INTO events (workspace_id, profile_id, origin_profile_id, source, type, occurred_at, properties, dedupe_key)
     SELECT $1, profile_id, profile_id, 'test', type, now() - make_interval(secs => days_ago * 86400), '{}'::jsonb, dedupe_key
     FROM json_to_recordset($2::json) AS x(profile_id uuid, type text, days_ago float8, dedupe_key text)`,
    [workspaceId, JSON.stringify(events)],
  );
}

/**
 * The adjusted Rand index of two labellings of the same items (Hubert & Arabie 1985): 1 when they
 * group the items alike (whatever the labels' names), about 0 for chance agreement.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error('the labellings must cover the same items');
  const n = a.length;
  const pairs = (x: number) => (x * (x - 1)) / 2;
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const columns = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]}:${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i]!, (rows.get(a[i]!) ?? 0) + 1);
    columns.set(b[i]!, (columns.get(b[i]!) ?? 0) + 1);
  }
  let index = 0;
  for (const c of table.values()) index += pairs(c);
  let sumRows = 0;
  for (const c of rows.values()) sumRows += pairs(c);
  let sumColumns = 0;
  for (const c of columns.values()) sumColumns += pairs(c);
  const expected = (sumRows * sumColumns) / pairs(n);
  const max = (sumRows + sumColumns) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}
