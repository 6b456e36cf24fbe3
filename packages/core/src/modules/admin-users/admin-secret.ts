import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 43 characters of a 62-letter alphabet: about 256 random bits. */
const SECRET_LENGTH = 43;

/**
 * The random secrets of the management API: session ids (`prs_`) and admin tokens (`pra_`). Only their SHA-256 digest is stored: they are long random strings, so there is nothing to
 * brute-force that a slow hash would protect.
 */
export function generateSecret(prefix: 'prs_' | 'pra_'): { secret: string; hash: Buffer } {
  let random = '';
  for (let i = 0; i < SECRET_LENGTH; i++) random += ALPHABET[randomInt(ALPHABET.length)];
  const secret = `${prefix}${random}`;
  return { secret, hash: hashSecret(prefix, secret)! };
}

/** The stored digest of a presented secret, or undefined when it is not shaped like one (no database round trip for garbage). */
export function hashSecret(prefix: 'prs_' | 'pra_', presented: string): Buffer | undefined {
  if (!presented.startsWith(prefix)) return undefined;
  const random = presented.slice(prefix.length);
  if (random.length !== SECRET_LENGTH || !/^[A-Za-z0-9]+$/.test(random)) return undefined;
  return createHash('sha256').update(presented).digest();
}

/**
 * The CSRF token of a session: an HMAC of the session id, so that the server recomputes it from the
 * cookie (nothing stored, and `GET /admin/api/session` can hand it to a reloaded page) while nobody
 * can derive the session id from it. A cross-site page can neither read the cookie nor this token.
 */
export function csrfTokenOf(sessionToken: string): string {
  return `prc_${createHmac('sha256', sessionToken).update('portrait admin csrf').digest('base64url')}`;
}

/** Whether `presented` is the CSRF token of the session (constant-time comparison). */
export function isCsrfTokenOf(sessionToken: string, presented: string | undefined): boolean {
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const actual = Buffer.from(presented ?? '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
