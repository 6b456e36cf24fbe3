import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable outbox of segment pushes. `segment_destination_pending` holds, per connection
 * (segment, destination source), each profile whose membership changed since the destination last
 * confirmed it — written in the statement that changes the membership, so a crash loses nothing; a
 * profile that changes again keeps its row (coalesced) and takes a new `seq`, so a push only clears
 * the rows it read. `segment_destination_members` is what each destination confirmed it holds: a push
 * is computed from it and the current membership, never by replaying old diffs. The connection keeps
 * its retry schedule (`attempts`, `next_attempt_at`), the lease of the process delivering it
 * (`lease_id`, `leased_until`) and what its last push did (outcome, entered, exited).
 */
export class SegmentDestinationOutbox1764000043000 implements MigrationInterface {
  name = 'SegmentDestinationOutbox1764000043000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE segment_destinations
        ADD COLUMN last_outcome text CHECK (last_outcome IN ('succeeded', 'failed')),
        ADD COLUMN last_entered int,
        ADD COLUMN last_exited int,
        ADD COLUMN attempts int NOT NULL DEFAULT 0,
        ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN lease_id uuid,
        ADD COLUMN leased_until timestamptz`);
    // Pushes made before the outbox all reported their outcome through last_error.
    await q.query(`UPDATE segment_destinations SET last_outcome = CASE WHEN last_error IS NULL THEN 'succeeded' ELSE 'failed' END WHERE last_pushed_at IS NOT NULL`);
    await q.query(`CREATE SEQUENCE segment_destination_pending_seq`);
    await q.query(`
      CREATE TABLE segment_destination_pending (
        workspace_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        source_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        seq bigint NOT NULL DEFAULT nextval('segment_destination_pending_seq'),
        queued_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (segment_id, source_id, profile_id),
        FOREIGN KEY (segment_id, source_id) REFERENCES segment_destinations (segment_id, source_id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX segment_destination_pending_order ON segment_destination_pending (segment_id, source_id, seq)`);
    await q.query(`CREATE INDEX segment_destination_pending_by_profile ON segment_destination_pending (profile_id)`);
    await q.query(`
      CREATE TABLE segment_destination_members (
        workspace_id uuid NOT NULL,
        segment_id uuid NOT NULL,
        source_id uuid NOT NULL,
        profile_id uuid NOT NULL,
        confirmed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (segment_id, source_id, profile_id),
        FOREIGN KEY (segment_id, source_id) REFERENCES segment_destinations (segment_id, source_id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX segment_destination_members_by_profile ON segment_destination_members (profile_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE segment_destination_members`);
    await q.query(`DROP TABLE segment_destination_pending`);
    await q.query(`DROP SEQUENCE segment_destination_pending_seq`);
    await q.query(`
      ALTER TABLE segment_destinations
        DROP COLUMN leased_until, DROP COLUMN lease_id, DROP COLUMN next_attempt_at, DROP COLUMN attempts,
        DROP COLUMN last_exited, DROP COLUMN last_entered, DROP COLUMN last_outcome`);
  }
}
