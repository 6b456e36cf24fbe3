import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { isUuid } from '../profiles/profiles.service.js';
import { generateSecret, hashSecret } from './admin-secret.js';
import type { AdminPrincipal } from './admin-sessions.service.js';
import { AdminUserException, invalidAdminUser } from './admin-user.exception.js';

/** An admin token as shown to people: never its secret nor its digest. */
export interface AdminTokenView {
  id: string;
  name: string;
  /** The first characters of the token, to tell tokens apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type TokenRow = { id: string; name: string; token_prefix: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };
const COLUMNS = `id, name, token_prefix, created_at, last_used_at, revoked_at`;
const toView = (r: TokenRow): AdminTokenView => ({
  id: r.id,
  name: r.name,
  prefix: r.token_prefix,
  createdAt: new Date(r.created_at).toISOString(),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
  revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
});
/** How much of a token lists show (`pra_` and 8 characters). */
const DISPLAY_LENGTH = 12;

/**
 * Admin tokens for automation (`Authorization: Bearer pra_…`): created by an owner, shown once, stored
 * as a digest, revocable. A token acts as the user who created it, with that user's role in each
 * workspace at the time of the call (a demoted user's tokens lose the same rights).
 */
@Injectable()
export class AdminTokensService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates a token; OWNER_REQUIRED unless the user owns a workspace. The returned `token` is its only appearance. */
  async create(userId: string, name: unknown): Promise<{ adminToken: AdminTokenView; token: string }> {
    if (typeof name !== 'string' || !name.trim() || name.length > 200) throw invalidAdminUser('name', 'must be 1 to 200 characters');
    const [owner] = await this.dataSource.query(`SELECT 1 FROM admin_memberships WHERE user_id = $1 AND role = 'owner' LIMIT 1`, [userId]);
    if (!owner) throw new AdminUserException('OWNER_REQUIRED', 'only owners of a workspace create admin tokens');
    const generated = generateSecret('pra_');
    const [row]: TokenRow[] = await this.dataSource.query(
      `INSERT INTO admin_tokens (user_id, name, token_prefix, token_hash) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [userId, name.trim(), generated.secret.slice(0, DISPLAY_LENGTH), generated.hash],
    );
    return { adminToken: toView(row!), token: generated.secret };
  }

  /** The user's tokens, oldest first. */
  async list(userId: string): Promise<AdminTokenView[]> {
    const found: TokenRow[] = await this.dataSource.query(`SELECT ${COLUMNS} FROM admin_tokens WHERE user_id = $1 ORDER BY created_at, id`, [userId]);
    return found.map(toView);
  }

  /** Revokes one of the user's tokens at once (idempotent: the first revocation time stays). */
  async revoke(userId: string, id: string): Promise<AdminTokenView> {
    const [row]: TokenRow[] = isUuid(id)
      ? await this.dataSource.query(
          `WITH revoked AS (UPDATE admin_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}) SELECT * FROM revoked`,
          [id, userId],
        )
      : [];
    if (!row) throw new AdminUserException('ADMIN_TOKEN_NOT_FOUND', `admin token ${id} does not exist`);
    return toView(row);
  }

  /** The principal of a presented token, or undefined when unknown or revoked; its last-used time written at most once a minute. */
  async authenticate(presented: string): Promise<AdminPrincipal | undefined> {
    const hash = hashSecret('pra_', presented);
    if (!hash) return undefined;
    const [row]: { id: string; user_id: string; email: string }[] = await this.dataSource.query(
      `WITH live AS (
         SELECT t.id, t.user_id, t.last_used_at, u.email FROM admin_tokens t JOIN admin_users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL
       ), touched AS (
         UPDATE admin_tokens SET last_used_at = now() WHERE id IN (SELECT id FROM live WHERE last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')
       ) SELECT id, user_id, email FROM live`,
      [hash],
    );
    return row ? { userId: row.user_id, email: row.email, via: 'token', credentialId: row.id } : undefined;
  }
}
