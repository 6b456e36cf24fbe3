import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recompute jobs: a whole workspace's traits and computed traits derived again, chunk by chunk, by the
 * worker — after a change of computed-trait definitions or trait precedence (`backfill`), and on a
 * schedule for the values that move with the clock (`clock_refresh`). A job's progress (`processed` of
 * `total`, and the last profile id done) is written with each chunk, so a stopped worker's job resumes
 * where it stopped. At most one job of a kind waits per workspace: a second change joins the waiting one.
 */
export class RecomputeJobs1764000025000 implements MigrationInterface {
  name = 'RecomputeJobs1764000025000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE recompute_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('backfill', 'clock_refresh')),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        total integer,
        processed integer NOT NULL DEFAULT 0,
        after_profile_id uuid,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        heartbeat_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX recompute_jobs_one_waiting ON recompute_jobs (workspace_id, kind) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX recompute_jobs_due ON recompute_jobs (created_at) WHERE status IN ('queued', 'running')`);
    // The jobs walk a workspace's live profiles in id order.
    await q.query(`CREATE INDEX profiles_live_by_id ON profiles (workspace_id, id) WHERE merged_into IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX profiles_live_by_id`);
    await q.query(`DROP TABLE recompute_jobs`);
  }
}
