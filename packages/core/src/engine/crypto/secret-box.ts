import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { embeddedSecretKey } from '../config/embedded-secret-key.js';
import { PORTRAIT_CONFIG, type PortraitConfig } from '../config/portrait-config.js';
import { PortraitException } from '../errors/portrait.exception.js';

export type SecretBoxExceptionCode = 'SECRET_KEY_REQUIRED' | 'SECRET_KEY_UNKNOWN' | 'SECRET_UNREADABLE';

export class SecretBoxException extends PortraitException<SecretBoxExceptionCode> {}

/** A sealed value and the id of the key that sealed it (a short hash of the key, never the key). */
export interface SealedSecret {
  ciphertext: string;
  keyId: string;
}

interface DerivedKey {
  id: string;
  key: Buffer;
}

const FORMAT = 'v1';

/** The id stored beside each ciphertext: tells which key opens it, reveals nothing of the key. */
export function secretKeyId(secretKey: string): string {
  return createHash('sha256').update(`portrait.secret-key-id:${secretKey}`).digest('hex').slice(0, 12);
}

function derive(secretKey: string): DerivedKey {
  const key = Buffer.from(hkdfSync('sha256', secretKey, 'portrait', 'portrait.secret-box.v1', 32));
  return { id: secretKeyId(secretKey), key };
}

/**
 * Seals secrets at rest with AES-256-GCM under a key derived (HKDF-SHA256) from PORTRAIT_SECRET_KEY.
 * Each ciphertext carries its key id, so after a rotation (the old key moved to
 * PORTRAIT_SECRET_KEYS_PREVIOUS) old ciphertexts still open and new ones use the current key.
 */
@Injectable()
export class SecretBox {
  private readonly current: DerivedKey | undefined;
  private readonly keys = new Map<string, DerivedKey>();

  constructor(@Inject(PORTRAIT_CONFIG) config: Pick<PortraitConfig, 'secretKey' | 'previousSecretKeys' | 'databaseUrl' | 'dataDir'>) {
    // The embedded installation (no DATABASE_URL) keeps its own key in the data directory; a real
    // PostgreSQL needs PORTRAIT_SECRET_KEY.
    const secretKey = config.secretKey ?? (config.databaseUrl ? undefined : embeddedSecretKey(config.dataDir));
    this.current = secretKey ? derive(secretKey) : undefined;
    for (const key of [...(config.previousSecretKeys ?? []), ...(secretKey ? [secretKey] : [])]) {
      const derived = derive(key);
      this.keys.set(derived.id, derived);
    }
  }

  /** The id of the key that seals now (undefined without one). */
  get currentKeyId(): string | undefined {
    return this.current?.id;
  }

  /** Whether a key is configured to seal with. */
  get canSeal(): boolean {
    return this.current !== undefined;
  }

  seal(plaintext: string): SealedSecret {
    if (!this.current) {
      throw new SecretBoxException(
        'SECRET_KEY_REQUIRED',
        'secrets cannot be stored: set PORTRAIT_SECRET_KEY (at least 32 characters, e.g. `openssl rand -base64 32`)',
      );
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(this.current.id));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return { ciphertext: [FORMAT, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.'), keyId: this.current.id };
  }

  open(sealed: SealedSecret): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) {
      throw new SecretBoxException(
        'SECRET_KEY_UNKNOWN',
        `stored secrets were sealed with key ${sealed.keyId}, which is neither PORTRAIT_SECRET_KEY nor one of PORTRAIT_SECRET_KEYS_PREVIOUS`,
        { keyId: sealed.keyId },
      );
    }
    const [format, iv, tag, body] = sealed.ciphertext.split('.');
    try {
      if (format !== FORMAT || !iv || !tag || body === undefined) throw new Error('malformed');
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(key.id));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxException('SECRET_UNREADABLE', `stored secrets sealed with key ${sealed.keyId} could not be opened (corrupted or tampered with)`, {
        keyId: sealed.keyId,
      });
    }
  }
}
