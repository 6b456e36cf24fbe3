import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Segments: definitions (a JSON condition tree), materialized membership, the entered/exited log read
 * with a cursor by webhooks and destinations, the recorded runs, the size history, the sources a
 * segment is pushed to, and the observed types of trait values. Profiles get `persona_id` and
 * `typology`, written by the persona and typology modules, so that segment leaves on them work from now on.
 */
export class Segments1764000004000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE profiles ADD COLUMN persona_id uuid, ADD COLUMN typology text`);
    await q.query(`
      CREATE TABLE segments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name text NOT NULL,
        -- a stable handle for the API, a destination's tag name or a webhook filter
        key text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
        description text,
        definition jsonb NOT NULL,
        -- the condition language's version, and the definition's own revision (bumped on each change)
        language_version int NOT NULL DEFAULT 1,
        version int NOT NULL DEFAULT 1,
        -- depends on the clock (event windows, within_last…): recomputed on a schedule too
        time_windowed boolean NOT NULL DEFAULT false,
        size int NOT NULL DEFAULT 0,
        computed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX segments_live ON segments (workspace_id, created_at, id) WHERE deleted_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX segments_key ON segments (workspace_id, key) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE TABLE segment_memberships (
        workspace_id uuid NOT NULL,
        segment_id uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        entered_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (segment_id, profile_id)
      )`);
    await q.query(`CREATE INDEX segment_memberships_by_profile ON segment_memberships (profile_id)`);
    await q.query(`
      CREATE TABLE segment_membership_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL,
        segment_id uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        profile_id uuid NOT NULL,
        type text NOT NULL CHECK (type IN ('segment.entered', 'segment.exited')),
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX segment_membership_events_by_workspace ON segment_membership_events (workspace_id, id)`);
    await q.query(`CREATE INDEX segment_membership_events_by_segment ON segment_membership_events (segment_id, id)`);
    await q.query(`
      CREATE TABLE segment_runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL,
        segment_id uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('full', 'incremental', 'scheduled')),
        started_at timestamptz NOT NULL,
        duration_ms int NOT NULL,
        size int NOT NULL,
        entered int NOT NULL,
        exited int NOT NULL
      )`);
    await q.query(`CREATE INDEX segment_runs_by_segment ON segment_runs (segment_id, started_at DESC, id DESC)`);
    // One point per recompute that ran over the whole segment or changed its size: the admin's size chart.
    await q.query(`
      CREATE TABLE segment_size_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL,
        segment_id uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        size int NOT NULL
      )`);
    await q.query(`CREATE INDEX segment_size_history_by_segment ON segment_size_history (segment_id, at)`);
    // The JSON types seen for each key of profiles.traits / profiles.computed, per workspace (see SegmentCatalogService).
    await q.query(`
      CREATE TABLE segment_trait_types (
        workspace_id uuid NOT NULL,
        field text NOT NULL CHECK (field IN ('traits', 'computed')),
        key text NOT NULL,
        type text NOT NULL CHECK (type IN ('string', 'date', 'number', 'boolean', 'array', 'object')),
        PRIMARY KEY (workspace_id, field, key, type)
      )`);
    await q.query(`
      CREATE TABLE segment_trait_catalogs (
        workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        built_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE segment_destinations (
        workspace_id uuid NOT NULL,
        segment_id uuid NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
        -- a source able to receive segments (sources.id; that table comes later in the migration order)
        source_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (segment_id, source_id)
      )`);
    // Trait and property values are JSON: a string that is not an ISO-8601 instant must give NULL, never fail
    // a whole segment query. Checked without an exception block (those cannot run in parallel query workers):
    // the shape by a regular expression, then the day against the month's length, then the cast.
    await q.query(`
      CREATE FUNCTION portrait_try_timestamptz(value text) RETURNS timestamptz
      LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN value ~ '^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,6})?)?)?(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?$'
          THEN CASE WHEN substr(value, 9, 2) COLLATE "C" <= CASE substr(value, 6, 2)
                 WHEN '02' THEN CASE WHEN substr(value, 9, 2) = '29' AND (substr(value, 1, 4)::int % 4 <> 0 OR (substr(value, 1, 4)::int % 100 = 0 AND substr(value, 1, 4)::int % 400 <> 0)) THEN '28' ELSE '29' END
                 WHEN '04' THEN '30' WHEN '06' THEN '30' WHEN '09' THEN '30' WHEN '11' THEN '30' ELSE '31' END
            THEN value::timestamptz END END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS portrait_try_timestamptz(text)`);
    for (const table of ['segment_trait_catalogs', 'segment_trait_types', 'segment_size_history', 'segment_destinations', 'segment_runs', 'segment_membership_events', 'segment_memberships', 'segments']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await q.query(`ALTER TABLE profiles DROP COLUMN typology, DROP COLUMN persona_id`);
  }
}
