import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The traits of the profiles an ingest batch changed are recomputed after the batch commits, outside
 * the workspace's ingest lock. Each batch queues its changed profile ids here in its own transaction;
 * the recompute deletes the row in the transaction that writes the traits. A row left behind (the
 * process stopped in between) is picked up by the worker's sweep.
 */
export class ProfileRecomputeQueue1764000011000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE profile_recompute_queue (
        id bigserial PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        profile_ids uuid[] NOT NULL,
        queued_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX profile_recompute_queue_by_time ON profile_recompute_queue (queued_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE profile_recompute_queue`);
  }
}
