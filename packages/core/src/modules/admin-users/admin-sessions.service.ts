import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { csrfTokenOf, generateSecret, hashSecret, isCsrfTokenOf } from './admin-secret.js';
import { AdminUserException } from './admin-user.exception.js';
import { normalizeAdminEmail } from './admin-users.service.js';
import { UNUSABLE_PASSWORD_HASH, verifyPassword } from './password-hash.js';

/** A session ends after this long without a request… */
export const ADMIN_SESSION_IDLE_MS = 2 * 60 * 60_000;
/** …and in any case this long after sign-in. */
export const ADMIN_SESSION_MAX_MS = 24 * 60 * 60_000;
/** Consecutive failed sign-ins that lock an account… */
export const ADMIN_LOCK_AFTER_FAILURES = 5;
/** …for this long (a success before then resets the count). */
export const ADMIN_LOCK_MS = 15 * 60_000;
/** Failed sign-ins one client address may make per window, whatever the e-mails tried (then it waits). */
export const ADMIN_SIGN_IN_ATTEMPTS_PER_WINDOW = 20;
export const ADMIN_SIGN_IN_WINDOW_MS = 10 * 60_000;
/** A session's last-seen time is written at most this often. */
const TOUCH_INTERVAL_S = 60;

/** Who is calling, once a session cookie or an admin token was recognized. */
export interface AdminPrincipal {
  userId: string;
  email: string;
  via: 'session' | 'token';
  /** The session or token id. */
  credentialId: string;
}

export interface SignedIn {
  principal: AdminPrincipal;
  /** The session id for the cookie: never stored, never shown again. */
  sessionToken: string;
  /** Sent back in the `X-CSRF-Token` header with every mutating request of the session. */
  csrfToken: string;
  expiresAt: string;
  idleTimeoutSeconds: number;
}


/**
 * Browser sessions of admin users: sign-in with e-mail and password (limited per client address,
 * an account locked for a while after repeated failures), sessions that end when idle and at a fixed
 * time after sign-in, and a CSRF token per session (derived from its id). Only digests of session ids are stored.
 */
@Injectable()
export class AdminSessionsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async signIn(input: { email: string; password: string; ip: string }): Promise<SignedIn> {
    await this.limitAttempts(input.ip);
    const email = normalizeAdminEmail(input.email);
    const [user]: { id: string; email: string; password_hash: string; locked_for: number | null }[] = await this.dataSource.query(
      `SELECT id, email, password_hash, ceil(extract(epoch FROM locked_until - now()))::int AS locked_for FROM admin_users WHERE email = $1`,
      [email],
    );
    if (user?.locked_for && user.locked_for > 0) {
      await this.recordFailure(input.ip);
      throw new AdminUserException('SIGN_IN_LOCKED', `too many failed sign-ins: this account is locked for ${Math.ceil(user.locked_for / 60)} more minutes`, {
        retryAfterSeconds: user.locked_for,
      });
    }
    // An unknown e-mail costs the same scrypt as a known one: timing does not tell which e-mails exist.
    const matches = await verifyPassword(input.password, user?.password_hash ?? UNUSABLE_PASSWORD_HASH);
    if (!user || !matches) {
      await this.recordFailure(input.ip);
      if (user) await this.countFailure(user.id);
      throw new AdminUserException('INVALID_CREDENTIALS', 'the e-mail or the password is wrong');
    }

    const session = generateSecret('prs_');
    const [row]: { id: string; expires_at: Date }[] = await this.dataSource.query(
      `WITH reset AS (UPDATE admin_users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1),
            expired AS (DELETE FROM admin_sessions WHERE user_id = $1 AND (expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $4)))
       INSERT INTO admin_sessions (user_id, token_hash, ip, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $5)) RETURNING id, expires_at`,
      [user.id, session.hash, input.ip, ADMIN_SESSION_IDLE_MS / 1000, ADMIN_SESSION_MAX_MS / 1000],
    );
    return {
      principal: { userId: user.id, email: user.email, via: 'session', credentialId: row!.id },
      sessionToken: session.secret,
      csrfToken: csrfTokenOf(session.secret),
      expiresAt: new Date(row!.expires_at).toISOString(),
      idleTimeoutSeconds: ADMIN_SESSION_IDLE_MS / 1000,
    };
  }

  /** The live session of a presented cookie value (neither idle too long nor past its end), its last-seen time refreshed. */
  async authenticate(presented: string): Promise<AdminPrincipal | undefined> {
    const hash = hashSecret('prs_', presented);
    if (!hash) return undefined;
    const [row]: { id: string; user_id: string; email: string }[] = await this.dataSource.query(
      `WITH live AS (
         SELECT s.id, s.user_id, s.last_seen_at, u.email FROM admin_sessions s JOIN admin_users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - make_interval(secs => $2)
       ), touched AS (
         UPDATE admin_sessions SET last_seen_at = now() WHERE id IN (SELECT id FROM live WHERE last_seen_at < now() - make_interval(secs => $3))
       ) SELECT id, user_id, email FROM live`,
      [hash, ADMIN_SESSION_IDLE_MS / 1000, TOUCH_INTERVAL_S],
    );
    if (!row) return undefined;
    return { userId: row.user_id, email: row.email, via: 'session', credentialId: row.id };
  }

  /** The CSRF token of a session, from its cookie value. */
  csrfToken(sessionToken: string): string {
    return csrfTokenOf(sessionToken);
  }

  /** Whether `presented` is the CSRF token of the session whose cookie value is `sessionToken`. */
  checkCsrf(sessionToken: string, presented: string | undefined): boolean {
    return isCsrfTokenOf(sessionToken, presented);
  }

  async signOut(sessionId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM admin_sessions WHERE id = $1`, [sessionId]);
  }

  /** SIGN_IN_RATE_LIMITED when the client address failed too often in the window; older failures are forgotten here. */
  private async limitAttempts(ip: string): Promise<void> {
    const [row]: { attempts: number; retry_after: number | null }[] = await this.dataSource.query(
      `WITH forgotten AS (DELETE FROM admin_sign_in_attempts WHERE ip = $1 AND at <= now() - make_interval(secs => $2))
       SELECT count(*)::int AS attempts, ceil(extract(epoch FROM min(at) + make_interval(secs => $2) - now()))::int AS retry_after
       FROM admin_sign_in_attempts WHERE ip = $1 AND at > now() - make_interval(secs => $2)`,
      [ip, ADMIN_SIGN_IN_WINDOW_MS / 1000],
    );
    if (row && row.attempts >= ADMIN_SIGN_IN_ATTEMPTS_PER_WINDOW) {
      throw new AdminUserException('SIGN_IN_RATE_LIMITED', `too many sign-in attempts from this address; retry in ${row.retry_after} s`, {
        retryAfterSeconds: Math.max(1, row.retry_after ?? 1),
      });
    }
  }

  private async recordFailure(ip: string): Promise<void> {
    await this.dataSource.query(`INSERT INTO admin_sign_in_attempts (ip) VALUES ($1)`, [ip]);
  }

  /** One more consecutive failure; the ADMIN_LOCK_AFTER_FAILURES-th locks the account (a lock that has passed starts the count again). */
  private async countFailure(userId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE admin_users u SET failed_sign_ins = f.n, locked_until = CASE WHEN f.n >= $2 THEN now() + make_interval(secs => $3) END
       FROM (SELECT id, CASE WHEN locked_until IS NOT NULL AND locked_until <= now() THEN 1 ELSE failed_sign_ins + 1 END AS n FROM admin_users WHERE id = $1) f
       WHERE u.id = f.id`,
      [userId, ADMIN_LOCK_AFTER_FAILURES, ADMIN_LOCK_MS / 1000],
    );
  }
}
