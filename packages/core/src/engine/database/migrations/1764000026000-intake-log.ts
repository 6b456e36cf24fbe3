import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tracking intake log: messages the tracking API accepted (already turned into facts), durable
 * before the API answers and drained into profiles by the intake processor in large batches.
 * `intake_log` is keyed by workspace and an ordered id (the order a workspace's messages are ingested
 * in); the processor deletes the rows it ingested in the ingest's own transaction. `intake_progress`
 * counts per workspace the batches committed and those completed (traits recomputed), for callers
 * that wait until their message is on the profile. `intake_dead_letters` keeps the messages the ingest
 * refused (no usable identity, a blocked identifier…), as they were.
 */
export class IntakeLog1764000026000 implements MigrationInterface {
  name = 'IntakeLog1764000026000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE intake_log (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        id bigint GENERATED ALWAYS AS IDENTITY,
        fact jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, id)
      )`);
    await q.query(`
      CREATE TABLE intake_progress (
        workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        committed bigint NOT NULL DEFAULT 0,
        completed bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE intake_dead_letters (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        reason text NOT NULL,
        payload jsonb,
        received_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX intake_dead_letters_workspace ON intake_dead_letters (workspace_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE intake_dead_letters`);
    await q.query(`DROP TABLE intake_progress`);
    await q.query(`DROP TABLE intake_log`);
  }
}
