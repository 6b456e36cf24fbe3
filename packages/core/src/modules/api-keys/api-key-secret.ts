import { createHash, randomInt } from 'node:crypto';

/** Every key starts with this, so secret scanners and people recognize a Portrait key. */
export const API_KEY_PREFIX = 'prt_';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 40 characters of a 62-letter alphabet: about 238 random bits. */
const SECRET_LENGTH = 40;
/** How much of a key lists show (`prt_` and 8 characters): enough to tell keys apart, useless to an attacker. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 8;

export interface GeneratedApiKey {
  /** The full key, shown once. */
  key: string;
  /** What is stored to recognize it. */
  hash: Buffer;
  /** What lists show. */
  displayPrefix: string;
}

/** A new random key (letters and digits only, so it survives copy-paste and URLs). */
export function generateApiKey(): GeneratedApiKey {
  let secret = '';
  for (let i = 0; i < SECRET_LENGTH; i++) secret += ALPHABET[randomInt(ALPHABET.length)];
  const key = `${API_KEY_PREFIX}${secret}`;
  return { key, hash: hashApiKey(key)!, displayPrefix: key.slice(0, DISPLAY_LENGTH) };
}

/**
 * The stored digest of a presented key, or undefined when it is not shaped like one of ours (no
 * database round trip for garbage). A plain SHA-256 is enough: the secret is high-entropy random,
 * so there is nothing to brute-force that a slow hash would protect.
 */
export function hashApiKey(presented: string): Buffer | undefined {
  if (!presented.startsWith(API_KEY_PREFIX)) return undefined;
  const secret = presented.slice(API_KEY_PREFIX.length);
  if (secret.length !== SECRET_LENGTH || !/^[A-Za-z0-9]+$/.test(secret)) return undefined;
  return createHash('sha256').update(secret).digest();
}
