import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['identities', 'source_records', 'trait_changes'] as const;

/**
 * Identities, source records and trait changes are written by the thousand per ingest batch, and the
 * foreign key from each row's workspace_id to workspaces cost a trigger call per row (more than half
 * of the identities insert, measured). Their workspace is already pinned through profile_id, whose
 * foreign key stays, to a profile that belongs to the workspace; the ON DELETE CASCADE those keys
 * carried never reached these rows anyway, since the profile keys do not cascade.
 */
export class WorkspaceKeysThroughProfiles1764000000700 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    for (const table of TABLES) await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_workspace_id_fkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE`);
    }
  }
}
