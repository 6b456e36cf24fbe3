import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys of the public API. Only a SHA-256 digest of each key is stored: keys are 238-bit random
 * strings, so a plain digest cannot be reversed by guessing, and lookups stay one indexed equality.
 * `key_prefix` (the first characters of the key) lets people tell their keys apart in lists.
 */
export class ApiKeys1764000003000 implements MigrationInterface {
  name = 'ApiKeys1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name text NOT NULL,
        key_prefix text NOT NULL,
        key_hash bytea NOT NULL,
        scopes text[] NOT NULL,
        rate_limit_per_minute integer NOT NULL CHECK (rate_limit_per_minute > 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT api_keys_hash_unique UNIQUE (key_hash)
      )`);
    await q.query(`CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id, created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS api_keys`);
  }
}
