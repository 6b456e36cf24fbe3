import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The secret key of an embedded installation that was given no PORTRAIT_SECRET_KEY: made once, kept
 * beside the embedded database (owner-only), so a new user needs no set-up and secrets sealed today
 * open tomorrow. A production installation sets PORTRAIT_SECRET_KEY instead.
 */
export function embeddedSecretKey(dataDir: string): string {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
