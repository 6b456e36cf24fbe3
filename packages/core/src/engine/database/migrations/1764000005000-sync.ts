import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sync engine's tables: configured sources (secrets sealed), per-stream checkpoints, runs with
 * their per-stream counts, and the records a run could not ingest (dead letters).
 */
export class Sync1764000005000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sources (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        connector_id text NOT NULL,
        name text NOT NULL,
        -- The configuration without its secret fields.
        config jsonb NOT NULL DEFAULT '{}',
        -- The secret fields as one sealed JSON object (AES-256-GCM), and the id of the key that sealed it.
        secrets text,
        secrets_key_id text,
        schedule text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'needs_attention')),
        status_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, name)
      )`);
    await q.query(`CREATE INDEX sources_workspace ON sources (workspace_id, created_at)`);
    await q.query(`CREATE INDEX sources_enabled ON sources (enabled) WHERE enabled`);
    await q.query(`
      CREATE TABLE sync_states (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        source_id uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        stream text NOT NULL,
        state jsonb NOT NULL,
        -- True while the state was committed in the middle of a read that has not finished yet:
        -- the next run resumes from it, even a full one.
        in_progress boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, stream)
      )`);
    await q.query(`CREATE INDEX sync_states_workspace ON sync_states (workspace_id)`);
    await q.query(`
      CREATE TABLE sync_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        source_id uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'webhook')),
        mode text NOT NULL CHECK (mode IN ('full', 'incremental')),
        -- { <stream>: { read, created, updated, merged, events, rejected, deadLettered } }
        stats jsonb NOT NULL DEFAULT '{}',
        -- Set by a cancel from any process; the process running the run polls it.
        cancel_requested boolean NOT NULL DEFAULT false,
        -- A failed run whose error may pass (rate limit, 5xx, network): retried, not reported as broken.
        retryable boolean NOT NULL DEFAULT false,
        -- The process running it (host:pid), to tell which worker holds a run.
        run_by text,
        -- Refreshed while the run makes progress: a running run whose heartbeat is old belongs to a dead process.
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        duration_ms integer,
        error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one running sync per source, whatever the number of processes.
    await q.query(`CREATE UNIQUE INDEX sync_runs_one_running ON sync_runs (source_id) WHERE status = 'running'`);
    await q.query(`CREATE INDEX sync_runs_source ON sync_runs (workspace_id, source_id, created_at DESC)`);
    // Runs asked for ("sync now") that a worker has not started yet.
    await q.query(`CREATE INDEX sync_runs_queued ON sync_runs (created_at) WHERE status = 'queued'`);
    await q.query(`
      CREATE TABLE dead_letters (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        source_id uuid NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        run_id uuid REFERENCES sync_runs(id) ON DELETE SET NULL,
        stream text,
        reason text NOT NULL,
        payload jsonb,
        location text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX dead_letters_source ON dead_letters (workspace_id, source_id, created_at DESC)`);
    await q.query(`CREATE INDEX dead_letters_run ON dead_letters (run_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dead_letters`);
    await q.query(`DROP TABLE sync_runs`);
    await q.query(`DROP TABLE sync_states`);
    await q.query(`DROP TABLE sources`);
  }
}
