import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The profile core schema. Every table is scoped by workspace_id.
 *
 * Data rows (identities, source records, events, consents, account links) carry two profile ids:
 * `profile_id` — the surviving profile they belong to now (moved on merge), and
 * `origin_profile_id` — the profile they first landed on (never changes). A merge moves rows from the
 * loser to the winner; undoing it moves back exactly the rows whose origin lies in the loser's subtree.
 */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE workspaces (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        name text NOT NULL,
        settings jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE profiles (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('person', 'account')),
        traits jsonb NOT NULL DEFAULT '{}'::jsonb,
        trait_sources jsonb NOT NULL DEFAULT '{}'::jsonb,
        computed jsonb NOT NULL DEFAULT '{}'::jsonb,
        merged_into uuid REFERENCES profiles(id),
        -- clock_timestamp(): profiles created by one statement keep their creation order (the oldest survives a merge)
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX profiles_live_by_update ON profiles (workspace_id, updated_at, id) WHERE merged_into IS NULL`);
    await q.query(`CREATE INDEX profiles_merged_into ON profiles (merged_into) WHERE merged_into IS NOT NULL`);
    await q.query(`CREATE INDEX profiles_traits ON profiles USING gin (traits jsonb_path_ops)`);

    await q.query(`
      CREATE TABLE identities (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        type text NOT NULL,
        value text NOT NULL,
        profile_id uuid NOT NULL REFERENCES profiles(id),
        origin_profile_id uuid NOT NULL,
        source text NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT identities_unique_value UNIQUE (workspace_id, type, value)
      )`);
    await q.query(`CREATE INDEX identities_by_profile ON identities (profile_id)`);

    await q.query(`
      CREATE TABLE source_records (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        source text NOT NULL,
        external_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('person', 'account')),
        profile_id uuid NOT NULL REFERENCES profiles(id),
        origin_profile_id uuid NOT NULL,
        traits jsonb NOT NULL DEFAULT '{}'::jsonb,
        observed_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, source, external_id)
      )`);
    await q.query(`CREATE INDEX source_records_by_profile ON source_records (profile_id)`);

    await q.query(`
      CREATE TABLE trait_changes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        profile_id uuid NOT NULL REFERENCES profiles(id),
        changes jsonb NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX trait_changes_by_profile ON trait_changes (profile_id, id)`);

    await q.query(`
      CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        profile_id uuid NOT NULL REFERENCES profiles(id),
        origin_profile_id uuid NOT NULL,
        source text NOT NULL,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL,
        properties jsonb NOT NULL DEFAULT '{}'::jsonb,
        dedupe_key text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_dedupe UNIQUE (workspace_id, source, dedupe_key)
      )`);
    await q.query(`CREATE INDEX events_timeline ON events (profile_id, occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX events_by_type_time ON events (workspace_id, type, occurred_at)`);

    await q.query(`
      CREATE TABLE consents (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        profile_id uuid NOT NULL REFERENCES profiles(id),
        origin_profile_id uuid NOT NULL,
        purpose text NOT NULL,
        source text NOT NULL,
        granted boolean NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (workspace_id, origin_profile_id, purpose, source)
      )`);
    await q.query(`CREATE INDEX consents_by_profile ON consents (profile_id, purpose, at DESC)`);

    await q.query(`
      CREATE TABLE account_links (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        person_id uuid NOT NULL REFERENCES profiles(id),
        account_id uuid NOT NULL REFERENCES profiles(id),
        origin_person_id uuid NOT NULL,
        origin_account_id uuid NOT NULL,
        source text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, origin_person_id, origin_account_id, source)
      )`);
    await q.query(`CREATE INDEX account_links_by_person ON account_links (person_id)`);
    await q.query(`CREATE INDEX account_links_by_account ON account_links (account_id)`);

    await q.query(`
      CREATE TABLE merges (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        winner_id uuid NOT NULL REFERENCES profiles(id),
        loser_id uuid NOT NULL REFERENCES profiles(id),
        reason jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        undone_at timestamptz
      )`);
    await q.query(`CREATE INDEX merges_by_workspace ON merges (workspace_id, created_at DESC)`);
    await q.query(`CREATE INDEX merges_by_loser ON merges (loser_id) WHERE undone_at IS NULL`);

    await q.query(`
      CREATE TABLE identity_conflicts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        kept_profile_id uuid,
        identity_type text NOT NULL,
        identity_value text NOT NULL,
        source text NOT NULL,
        external_id text NOT NULL,
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX identity_conflicts_by_workspace ON identity_conflicts (workspace_id, created_at DESC)`);

    // Per-key merge of two observation maps {key: {"v": value, "at": iso-8601}}: the later observation wins,
    // ties go to the incoming one. ISO-8601 UTC strings of one format compare correctly as text.
    await q.query(`
      CREATE FUNCTION portrait_merge_observations(current jsonb, incoming jsonb) RETURNS jsonb
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(jsonb_object_agg(key, CASE
                 WHEN c.value IS NULL THEN i.value
                 WHEN i.value IS NULL THEN c.value
                 WHEN (i.value->>'at') >= (c.value->>'at') THEN i.value
                 ELSE c.value END), '{}'::jsonb)
        FROM jsonb_each(coalesce(current, '{}'::jsonb)) c
        FULL JOIN jsonb_each(coalesce(incoming, '{}'::jsonb)) i USING (key)
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS portrait_merge_observations(jsonb, jsonb)`);
    for (const table of ['identity_conflicts', 'merges', 'account_links', 'consents', 'events', 'trait_changes', 'source_records', 'identities', 'profiles', 'workspaces']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
