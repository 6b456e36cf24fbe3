/**
 * Recomputes the traits of a set of profiles from their source records, and appends what changed to
 * the trait history — one statement. Per trait: the source listed first in the workspace's precedence
 * for that trait wins; otherwise (or among equals) the most recent observation; ties by source name.
 * A winning `null` observation clears the trait.
 * Params: $1 workspace id, $2 profile ids, $3 precedence {trait: [source, …]} (only when used).
 */
export function traitMergeSql(withPrecedence: boolean): string {
  const rank = withPrecedence
    ? `coalesce(array_position(ARRAY(SELECT jsonb_array_elements_text($3::jsonb -> o.key)), r.source), 2147483647)`
    : '0';
  return `
    WITH obs AS (
      SELECT r.profile_id, o.key, o.value -> 'v' AS v, o.value ->> 'at' AS at, r.source, ${rank} AS rank
      FROM source_records r
      CROSS JOIN LATERAL jsonb_each(r.traits) o
      WHERE r.workspace_id = $1::uuid AND r.profile_id = ANY($2::uuid[])
    ),
    best AS (
      SELECT DISTINCT ON (profile_id, key) profile_id, key, v, at, source
      FROM obs
      ORDER BY profile_id, key, rank, at DESC, source
    ),
    agg AS (
      SELECT profile_id,
             jsonb_object_agg(key, v) AS traits,
             jsonb_object_agg(key, jsonb_build_object('source', source, 'observedAt', at)) AS sources
      FROM best
      WHERE jsonb_typeof(v) <> 'null'
      GROUP BY profile_id
    ),
    target AS (
      SELECT p.id, p.traits AS old_traits, coalesce(a.traits, '{}'::jsonb) AS new_traits, coalesce(a.sources, '{}'::jsonb) AS new_sources
      FROM profiles p
      LEFT JOIN agg a ON a.profile_id = p.id
      WHERE p.id = ANY($2::uuid[]) AND p.workspace_id = $1::uuid
    ),
    updated AS (
      UPDATE profiles p
      SET traits = t.new_traits, trait_sources = t.new_sources, updated_at = now()
      FROM target t
      WHERE p.id = t.id AND (p.traits IS DISTINCT FROM t.new_traits OR p.trait_sources IS DISTINCT FROM t.new_sources)
      RETURNING p.id
    ),
    changed AS (
      SELECT t.id,
             jsonb_object_agg(k.key, jsonb_build_object(
               'from', t.old_traits -> k.key,
               'to', t.new_traits -> k.key,
               'source', t.new_sources -> k.key -> 'source',
               'observedAt', t.new_sources -> k.key -> 'observedAt')) AS changes
      FROM target t
      CROSS JOIN LATERAL (SELECT jsonb_object_keys(t.old_traits) UNION SELECT jsonb_object_keys(t.new_traits)) AS k(key)
      WHERE (t.old_traits -> k.key) IS DISTINCT FROM (t.new_traits -> k.key)
      GROUP BY t.id
    )
    INSERT INTO trait_changes (workspace_id, profile_id, changes)
    SELECT $1::uuid, id, changes FROM changed`;
}
