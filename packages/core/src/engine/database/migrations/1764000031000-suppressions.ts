import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Suppression after erasure: the identifiers of an erased person, as keyed hashes (HMAC-SHA256 under
 * a random key per workspace, itself sealed by the secret box), so that no source brings them back.
 * The type of each identifier is kept in clear (it is not personal data), for counts.
 */
export class Suppressions1764000031000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE suppression_keys (
        workspace_id uuid PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        key_sealed text NOT NULL,
        key_id text NOT NULL
      )`);
    await q.query(`
      CREATE TABLE suppressions (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        digest bytea NOT NULL,
        identity_type text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, digest)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE suppressions`);
    await q.query(`DROP TABLE suppression_keys`);
  }
}
