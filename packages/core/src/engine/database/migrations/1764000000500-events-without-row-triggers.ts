import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events are the highest-volume table (several rows per fact), and each foreign key costs a trigger
 * call per inserted row: the two on events were half the time of an ingest's event insert. Their
 * rows are written only by the ingest and by merges, which use profile ids resolved inside the same
 * transaction, so the references hold by construction; deleting a workspace or erasing a profile
 * deletes its events explicitly.
 */
export class EventsWithoutRowTriggers1764000000500 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP CONSTRAINT events_workspace_id_fkey`);
    await q.query(`ALTER TABLE events DROP CONSTRAINT events_profile_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events ADD CONSTRAINT events_profile_id_fkey FOREIGN KEY (profile_id) REFERENCES profiles(id)`);
    await q.query(`ALTER TABLE events ADD CONSTRAINT events_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE`);
  }
}
