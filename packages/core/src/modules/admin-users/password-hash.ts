import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Admin passwords are hashed with scrypt (RFC 7914) from node:crypto: N = 2^15, r = 8, p = 1, a 16-byte
 * random salt per password and a 64-byte key — OWASP's recommended minimum, ~100 ms and 32 MiB per
 * hash, so that a stolen table is expensive to guess at. The parameters are stored with each hash
 * (`scrypt$15$8$1$<salt>$<key>`, base64), so raising them later leaves old hashes verifiable.
 */
const LOG2_N = 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;
const SALT_LENGTH = 16;

/** The fewest characters a chosen password may have. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** log2N, r, p, maxmem: 256 * 2 ** log2N * r };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, LOG2_N, R, P, KEY_LENGTH);
  return ['scrypt', LOG2_N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` is the one `stored` was made from (constant-time comparison). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, log2N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), Number(log2N), Number(r), Number(p), expected.length);
  return timingSafeEqual(actual, expected);
}

/** A hash of nothing anyone knows: verified against when the e-mail is unknown, so both cases take as long. */
export const UNUSABLE_PASSWORD_HASH = `scrypt$${LOG2_N}$${R}$${P}$${Buffer.alloc(SALT_LENGTH).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A password for a new user, printed once: 20 characters without look-alikes (about 116 random bits). */
export function generatePassword(): string {
  let out = '';
  for (let i = 0; i < 20; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
