import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The history of consent: every statement a source made about a person's purpose, once (a re-read
 * of the same statement adds nothing), beside `consents`, which keeps the latest per source. Rows
 * follow their profile through merges and undos like `consents` (`origin_profile_id` keeps where
 * they came from) and go with it on erasure. Starts from the statements stored today.
 */
export class ConsentHistory1764000044000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consent_changes (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        profile_id uuid NOT NULL REFERENCES profiles(id),
        origin_profile_id uuid NOT NULL,
        purpose text NOT NULL,
        source text NOT NULL,
        granted boolean NOT NULL,
        at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, origin_profile_id, purpose, source, at, granted)
      )`);
    await q.query(`CREATE INDEX consent_changes_by_profile ON consent_changes (profile_id, purpose, at DESC)`);
    await q.query(`
      INSERT INTO consent_changes (workspace_id, profile_id, origin_profile_id, purpose, source, granted, at)
      SELECT workspace_id, profile_id, origin_profile_id, purpose, source, granted, at FROM consents`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE consent_changes`);
  }
}
