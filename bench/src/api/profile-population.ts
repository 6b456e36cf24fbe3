import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * The profiles the API benchmark reads: person n (1..N) has a fixed id and email that both the
 * database and the load generator derive from n, so requests can be spread over every profile
 * without holding a million ids in memory.
 */

const ID_SALT = 'portrait-bench-';

/** The id of person n: md5 of a salted counter read as a uuid (the same as `md5(...)::uuid` in SQL). */
export function profileId(n: number): string {
  const hex = createHash('md5').update(`${ID_SALT}${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The email identity of person n, already in its normalized form. */
export function profileEmail(n: number): string {
  return `person-${n}@bench.example`;
}

/**
 * One workspace with `count` person profiles (a few traits and computed traits each) and one email
 * identity each, written with set-based SQL, then vacuumed and analyzed as a settled table would be.
 * Returns the workspace id.
 */
export async function loadProfiles(client: pg.Client, count: number): Promise<string> {
  const [{ id: workspaceId }] = (await client.query(`INSERT INTO workspaces (slug, name) VALUES ('bench', 'Bench') RETURNING id`)).rows;
  await client.query(
    `INSERT INTO profiles (id, workspace_id, kind, traits, computed, created_at, updated_at)
     SELECT md5($3 || i)::uuid, $1, 'person',
            jsonb_build_object(
              'first_name', (ARRAY['Ana','Bruno','Carla','Diego','Eva','Fabio','Gina'])[1 + i % 7],
              'last_name', 'Bench ' || i,
              'country', (ARRAY['BR','US','FR','DE','PT'])[1 + i % 5],
              'plan', (ARRAY['free','pro','enterprise'])[1 + i % 3],
              'signup_at', to_char(timestamptz '2025-01-01' + (i % 400) * interval '1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
            jsonb_build_object('lifetime_value', (i * 37) % 1500, 'orders_count', i % 7),
            timestamptz '2025-01-01' + (i % 400) * interval '1 day', timestamptz '2026-01-01' + (i % 300) * interval '1 hour'
     FROM generate_series(1, $2::int) i`,
    [workspaceId, count, ID_SALT],
  );
  await client.query(
    `INSERT INTO identities (workspace_id, type, value, profile_id, origin_profile_id, source, first_seen_at)
     SELECT $1, 'email', 'person-' || i || '@bench.example', md5($3 || i)::uuid, md5($3 || i)::uuid, 'bench', timestamptz '2025-01-01' + (i % 400) * interval '1 day'
     FROM generate_series(1, $2::int) i`,
    [workspaceId, count, ID_SALT],
  );
  await client.query(`VACUUM ANALYZE workspaces, profiles, identities`);
  return workspaceId;
}
