import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin users of the management API, their roles per workspace, browser sessions, admin tokens,
 * sign-in attempts and the audit log.
 *
 * - Passwords are stored as scrypt hashes with their own salt and parameters (`password-hash.ts`).
 * - Session ids and admin tokens are 256-bit random strings: only their SHA-256 digests are stored, so a
 *   copy of the database signs nobody in, and lookups stay one indexed equality. A session's CSRF token
 *   is derived from its id (`admin-secret.ts`), so it needs no column.
 * - `failed_sign_ins` / `locked_until` lock an account for a while after repeated failures;
 *   `admin_sign_in_attempts` (failed ones) limits attempts per client address (both work across processes).
 * - The audit log keeps its rows when the user or the target goes: who did what is history.
 */
export class AdminUsers1764000020000 implements MigrationInterface {
  name = 'AdminUsers1764000020000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE admin_users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        password_hash text NOT NULL,
        failed_sign_ins integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT admin_users_email UNIQUE (email)
      )`);
    await q.query(`
      CREATE TABLE admin_memberships (
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, user_id)
      )`);
    await q.query(`CREATE INDEX admin_memberships_by_user ON admin_memberships (user_id)`);
    await q.query(`
      CREATE TABLE admin_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        ip text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT admin_sessions_token UNIQUE (token_hash)
      )`);
    await q.query(`CREATE INDEX admin_sessions_by_user ON admin_sessions (user_id)`);
    await q.query(`
      CREATE TABLE admin_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES admin_users(id) ON DELETE CASCADE,
        name text NOT NULL,
        token_prefix text NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        CONSTRAINT admin_tokens_hash UNIQUE (token_hash)
      )`);
    await q.query(`CREATE INDEX admin_tokens_by_user ON admin_tokens (user_id, created_at)`);
    await q.query(`
      CREATE TABLE admin_sign_in_attempts (
        id bigserial PRIMARY KEY,
        ip text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX admin_sign_in_attempts_by_ip ON admin_sign_in_attempts (ip, at)`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        workspace_id uuid REFERENCES workspaces(id) ON DELETE CASCADE,
        actor_user_id uuid REFERENCES admin_users(id) ON DELETE SET NULL,
        actor text NOT NULL,
        via text NOT NULL CHECK (via IN ('session', 'token', 'cli')),
        action text NOT NULL,
        target_type text,
        target_id text,
        ip text,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_log', 'admin_sign_in_attempts', 'admin_tokens', 'admin_sessions', 'admin_memberships', 'admin_users']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
