import type { DataSource } from 'typeorm';
import { discoveryFeatures, EMAIL_WINDOW, WEB_EVENT_TYPES, WEB_WINDOW, type DiscoveryFeature } from './discovery-features.js';

/** People read per statement. */
export const EXTRACTION_BATCH = 10_000;

/** A workspace's people and their raw feature values, column by column (NaN or null: missing). */
export interface ExtractedPeople {
  ids: string[];
  features: DiscoveryFeature[];
  numeric: Map<string, Float64Array>;
  categorical: Map<string, (string | null)[]>;
  /** The currency of the workspace's orders (ISO 4217), when they say one. */
  currency: string | null;
}

const isoDays = (duration: string) => `${Number(duration.slice(1, -1))} days`;

/** A number stored in a jsonb document, or NULL. */
const num = (doc: string, key: string) => `CASE WHEN jsonb_typeof(${doc}->'${key}') = 'number' THEN (${doc}->>'${key}')::float8 END`;

/**
 * One batch of live person profiles after `after` (id order), each with its feature values: computed
 * traits and traits from the profile row, recent e-mail opens and web events counted per profile on the
 * profile's own events (a correlated count on `events_timeline`; a join scanned every event of the
 * workspace once per batch). Features whose absence means none come out as 0.
 */
const BATCH_SQL = `
  WITH people AS (
    SELECT p.id, p.computed AS c, p.traits AS t, p.typology FROM profiles p
    WHERE p.workspace_id = $1 AND p.kind = 'person' AND p.merged_into IS NULL AND ($2::uuid IS NULL OR p.id > $2)
    ORDER BY p.id LIMIT $3),
  ages AS (
    SELECT people.id, coalesce(${num('t', 'age')}, extract(year FROM age(now(), portrait_try_timestamptz(t->>'birthday')))::float8) AS age FROM people)
  SELECT people.id,
         coalesce(${num('c', 'lifetime_value')}, 0) AS lifetime_value,
         coalesce(${num('c', 'orders_count')}, 0) AS orders_count,
         ${num('c', 'days_since_last_order')} AS days_since_last_order,
         ${num('c', 'avg_order_value')} AS avg_order_value,
         ${num('c', 'discount_order_share')} AS discount_share,
         CASE WHEN ${num('c', 'orders_count')} > 0 THEN least(coalesce(${num('c', 'refunds_count')}, 0) / ${num('c', 'orders_count')}, 1) END AS refund_share,
         (SELECT count(*) FROM events e
          WHERE e.profile_id = people.id AND e.workspace_id = $1 AND e.type = 'email_opened' AND e.occurred_at >= now() - interval '${isoDays(EMAIL_WINDOW)}')::float8 AS email_engagement,
         (SELECT count(*) FROM events e
          WHERE e.profile_id = people.id AND e.workspace_id = $1 AND e.type = $4 AND e.occurred_at >= now() - interval '${isoDays(WEB_WINDOW)}')::float8 AS web_engagement,
         CASE WHEN ages.age BETWEEN 0 AND 120 THEN ages.age END AS age,
         nullif(upper(btrim(t->>'country')), '') AS region,
         people.typology
  FROM people
  JOIN ages ON ages.id = people.id
  ORDER BY people.id`;

/**
 * Reads the features of every live person of a workspace, `EXTRACTION_BATCH` at a time, reporting
 * the share read after each batch. Which web event counts, where ages come from and the currency are
 * looked up first.
 */
export async function extractPeople(dataSource: DataSource, workspaceId: string, onProgress?: (read: number, total: number) => Promise<void> | void): Promise<ExtractedPeople> {
  const [{ total, web, age, currency }] = await dataSource.query(
    `SELECT (SELECT count(*)::int FROM profiles WHERE workspace_id = $1 AND kind = 'person' AND merged_into IS NULL) AS total,
            (SELECT u.t FROM unnest($2::text[]) WITH ORDINALITY u(t, o) WHERE EXISTS (SELECT 1 FROM events e WHERE e.workspace_id = $1 AND e.type = u.t) ORDER BY u.o LIMIT 1) AS web,
            EXISTS (SELECT 1 FROM profiles WHERE workspace_id = $1 AND kind = 'person' AND traits ? 'age') AS age,
            (SELECT c FROM (SELECT upper(properties->>'currency') AS c FROM events WHERE workspace_id = $1 AND type = 'order_placed' AND properties ? 'currency' ORDER BY occurred_at DESC LIMIT 1000) o
              GROUP BY c ORDER BY count(*) DESC, c LIMIT 1) AS currency`,
    [workspaceId, WEB_EVENT_TYPES],
  );
  const features = discoveryFeatures(web ?? WEB_EVENT_TYPES[0], age ? 'age' : 'birthday');
  const numeric = new Map<string, Float64Array>();
  const categorical = new Map<string, (string | null)[]>();
  for (const f of features) {
    if (f.type === 'numeric') numeric.set(f.key, new Float64Array(total));
    else categorical.set(f.key, []);
  }
  const ids: string[] = [];
  for (let after: string | null = null; ; ) {
    const batch: Record<string, unknown>[] = await dataSource.query(BATCH_SQL, [workspaceId, after, EXTRACTION_BATCH, web ?? WEB_EVENT_TYPES[0]]);
    for (const row of batch) {
      // People created since the count are left to the next run.
      if (ids.length === total) break;
      const i = ids.length;
      ids.push(row.id as string);
      for (const [key, column] of numeric) column[i] = row[key] === null || row[key] === undefined ? Number.NaN : Number(row[key]);
      for (const [key, column] of categorical) column.push((row[key] as string | null) ?? null);
    }
    await onProgress?.(ids.length, total);
    if (batch.length < EXTRACTION_BATCH || ids.length === total) break;
    after = batch[batch.length - 1]!.id as string;
  }
  // Fewer people than counted (some were merged meanwhile): the columns are cut to those read.
  for (const [key, column] of numeric) numeric.set(key, column.subarray(0, ids.length));
  return { ids, features, numeric, categorical, currency: typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? currency : null };
}
