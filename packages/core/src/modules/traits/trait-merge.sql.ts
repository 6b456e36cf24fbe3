/**
 * Recomputes the traits of a set of profiles from their source records and their computed traits
 * (`computedQuery`, a per-profile subquery over `p.id` yielding `computed`), writes both with one UPDATE per profile, and appends
 * what changed to the trait history — one statement, which answers the new `traits` and `computed`
 * of the profiles it changed. Per trait: the source listed first in the
 * workspace's precedence for that trait wins; otherwise (or among equals) the most recent
 * observation; ties by source name. A winning `null` observation clears the trait.
 * Params: $1 workspace id, $2 profile ids, $3 precedence {trait: [source, …]} (only when used), then the
 * computed query's.
 */
export function traitMergeSql(withPrecedence: boolean, computedQuery: string): string {
  const rank = withPrecedence
    ? `coalesce(array_position(ARRAY(SELECT jsonb_array_elements_text($3::jsonb -> o.key)), r.source), 2147483647), `
    : '';
  return `
    WITH target AS (
      SELECT p.id, p.traits AS old_traits, coalesce(m.traits, '{}'::jsonb) AS new_traits, coalesce(m.sources, '{}'::jsonb) AS new_sources,
             c.computed AS new_computed
      FROM unnest($2::uuid[]) AS ids(id)
      JOIN profiles p ON p.id = ids.id AND p.workspace_id = $1::uuid
      -- Per profile (LATERAL), by profile id only: p is already in the workspace, and a workspace_id
      -- condition here tempts the planner into scanning the whole workspace when statistics are stale.
      CROSS JOIN LATERAL (
        SELECT jsonb_object_agg(b.key, b.v) FILTER (WHERE jsonb_typeof(b.v) <> 'null') AS traits,
               jsonb_object_agg(b.key, jsonb_build_object('source', b.source, 'observedAt', b.at)) FILTER (WHERE jsonb_typeof(b.v) <> 'null') AS sources
        FROM (
          SELECT DISTINCT ON (o.key) o.key, o.value -> 'v' AS v, o.value ->> 'at' AS at, r.source
          FROM source_records r
          CROSS JOIN LATERAL jsonb_each(r.traits) o
          WHERE r.profile_id = p.id
          ORDER BY o.key, ${rank}o.value ->> 'at' DESC, r.source
        ) b
      ) m
      CROSS JOIN LATERAL (${computedQuery}) c
    ),
    updated AS (
      UPDATE profiles p
      SET traits = t.new_traits, trait_sources = t.new_sources, computed = t.new_computed, updated_at = now()
      FROM target t
      WHERE p.id = t.id
        AND (p.traits IS DISTINCT FROM t.new_traits OR p.trait_sources IS DISTINCT FROM t.new_sources OR p.computed IS DISTINCT FROM t.new_computed)
      RETURNING p.traits, p.computed
    ),
    -- Per profile (LATERAL): one small aggregate each, over the union of its old and new keys.
    changed AS (
      SELECT t.id, d.changes
      FROM target t
      CROSS JOIN LATERAL (
        SELECT jsonb_object_agg(k.key, jsonb_build_object(
                 'from', t.old_traits -> k.key,
                 'to', t.new_traits -> k.key,
                 'source', t.new_sources -> k.key -> 'source',
                 'observedAt', t.new_sources -> k.key -> 'observedAt')) AS changes
        FROM jsonb_object_keys(t.old_traits || t.new_traits) AS k(key)
        WHERE (t.old_traits -> k.key) IS DISTINCT FROM (t.new_traits -> k.key)
      ) d
      WHERE d.changes IS NOT NULL
    ),
    history AS (
      INSERT INTO trait_changes (workspace_id, profile_id, changes)
      SELECT $1::uuid, id, changes FROM changed
    )
    SELECT traits, computed FROM updated`;
}
