import { createHmac, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Identity } from '@portrait/connector-sdk';
import type { DataSource, QueryRunner } from 'typeorm';
import { resealColumn } from '../../engine/crypto/reseal.js';
import { SecretBox } from '../../engine/crypto/secret-box.js';
import { inTransaction, rows } from '../../engine/database/sql.js';
import { IdentityNormalizer } from '../identity/identity-normalizer.js';
import { isMatchKey } from '../identity/identity-settings.js';
import { ProfileSettingsService } from '../profiles/profile-settings.service.js';
import { SuppressionException } from './suppression.exception.js';

/** How many identifiers of each type a workspace suppresses (their values are not kept in clear). */
export interface SuppressionCounts {
  total: number;
  byType: Record<string, number>;
}

/**
 * Suppression after erasure. An erasure adds each of the person's normalized identifiers to its
 * workspace's suppression list, as HMAC-SHA256 digests under a random key of the workspace (sealed at
 * rest by the secret box, re-sealed by `portrait secrets rotate`): the values are not kept in clear.
 * The ingest drops, uncounted among refusals and never dead-lettered, every fact carrying a suppressed
 * identifier — from every source, webhook and tracking call. An admin can lift one identifier.
 */
@Injectable()
export class SuppressionService {
  /** Opened workspace keys, as committed: a key never changes once made (a rotation re-seals the same key). */
  private readonly keys = new Map<string, Buffer>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secretBox: SecretBox,
    private readonly settings: ProfileSettingsService,
  ) {}

  /** Suppresses these (normalized) identifiers in the caller's transaction (an erasure); answers how many were new. */
  async suppressIn(runner: QueryRunner, workspaceId: string, all: Identity[]): Promise<number> {
    // A match key (name and postal code) is shared by namesakes at one address: suppressing it would drop them too.
    const identities = all.filter((i) => !isMatchKey(i.type));
    if (identities.length === 0) return 0;
    const key = await this.keyOf(runner, workspaceId, true);
    const added = await rows(
      runner,
      `INSERT INTO suppressions (workspace_id, digest, identity_type)
       SELECT $1, decode(d.digest, 'hex'), d.type FROM json_to_recordset($2::json) AS d(digest text, type text)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [workspaceId, JSON.stringify(identities.map((i) => ({ digest: digest(key!, i).toString('hex'), type: i.type })))],
    );
    return added.length;
  }

  /**
   * Which of these identifier lists hold a suppressed identifier, in the caller's transaction (the
   * ingest, under the workspace's lock): the positions of those lists. One statement, none for a
   * workspace that never erased anyone.
   */
  async suppressedIn(runner: QueryRunner, workspaceId: string, identityLists: Identity[][]): Promise<Set<number>> {
    const key = await this.keyOf(runner, workspaceId, false);
    if (!key) return new Set();
    const digests = identityLists.map((list) => list.filter((i) => !isMatchKey(i.type)).map((i) => digest(key, i).toString('hex')));
    const found = await rows<{ digest: string }>(
      runner,
      `SELECT encode(digest, 'hex') AS digest FROM suppressions WHERE workspace_id = $1 AND digest = ANY(SELECT decode(d, 'hex') FROM unnest($2::text[]) d)`,
      [workspaceId, [...new Set(digests.flat())]],
    );
    if (found.length === 0) return new Set();
    const suppressed = new Set(found.map((r) => r.digest));
    return new Set(digests.flatMap((list, index) => (list.some((d) => suppressed.has(d)) ? [index] : [])));
  }

  /**
   * Lifts the suppression of one identifier (normalized as at ingest): the next fact carrying it is
   * ingested again. `SUPPRESSION_NOT_FOUND` when it is not suppressed; `INVALID_IDENTITY` when it does
   * not normalize.
   */
  async lift(workspaceId: string, identity: Identity): Promise<void> {
    const normalizer = new IdentityNormalizer((await this.settings.get(workspaceId)).identity);
    const normalized = normalizer.normalize(identity);
    if (!normalized.ok) throw new SuppressionException('INVALID_IDENTITY', normalized.reason, { errors: [{ field: 'value', message: normalized.reason }] });
    const gone = await inTransaction(this.dataSource, async (runner) => {
      const key = await this.keyOf(runner, workspaceId, false);
      if (!key) return [];
      return rows(runner, `DELETE FROM suppressions WHERE workspace_id = $1 AND digest = $2 RETURNING 1`, [workspaceId, digest(key, normalized.identity)]);
    });
    if (gone.length === 0) throw new SuppressionException('SUPPRESSION_NOT_FOUND', 'this identifier is not suppressed');
  }

  async counts(workspaceId: string): Promise<SuppressionCounts> {
    const found = await this.dataSource.query(`SELECT identity_type AS type, count(*)::int AS n FROM suppressions WHERE workspace_id = $1 GROUP BY 1 ORDER BY 1`, [
      workspaceId,
    ]);
    const byType = Object.fromEntries(found.map((r: { type: string; n: number }) => [r.type, r.n]));
    return { total: found.reduce((sum: number, r: { n: number }) => sum + r.n, 0), byType };
  }

  /** Seals the workspaces' suppression keys again under the current secret key (`portrait secrets rotate`); answers how many. */
  resealKeys(): Promise<number> {
    return resealColumn(this.dataSource, this.secretBox, { table: 'suppression_keys', id: 'workspace_id', ciphertext: 'key_sealed', keyId: 'key_id' }, (sealed, keyId) =>
      this.openKey(sealed, keyId),
    );
  }

  private openKey(sealed: string, keyId: string | null): string {
    return keyId === UNSEALED ? sealed : this.secretBox.open({ ciphertext: sealed, keyId: keyId ?? '' });
  }

  /** The workspace's key, opened; made (once, whoever comes first) when `create` and there is none. */
  private async keyOf(runner: QueryRunner, workspaceId: string, create: boolean): Promise<Buffer | undefined> {
    const cached = this.keys.get(workspaceId);
    if (cached) return cached;
    if (create) {
      // An erasure never fails for want of a secret key: without one the key is kept unsealed (still
      // a keyed hash of each identifier), and `portrait secrets rotate` seals it once a key is set.
      const fresh = randomBytes(32).toString('base64');
      const sealed = this.secretBox.canSeal ? this.secretBox.seal(fresh) : { ciphertext: fresh, keyId: UNSEALED };
      await runner.query(`INSERT INTO suppression_keys (workspace_id, key_sealed, key_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        workspaceId,
        sealed.ciphertext,
        sealed.keyId,
      ]);
    }
    const [row] = await rows<{ key_sealed: string; key_id: string }>(runner, `SELECT key_sealed, key_id FROM suppression_keys WHERE workspace_id = $1`, [workspaceId]);
    if (!row) return undefined;
    const key = Buffer.from(this.openKey(row.key_sealed, row.key_id), 'base64');
    // Kept only once read outside a transaction that may have made it (and may still roll back).
    if (!create) this.keys.set(workspaceId, key);
    return key;
  }
}

/** The key id of a suppression key kept unsealed, made while no PORTRAIT_SECRET_KEY was set. */
const UNSEALED = 'unsealed';

/** The keyed hash of a normalized identifier: its type and value, never stored in clear. */
function digest(key: Buffer, identity: Identity): Buffer {
  return createHmac('sha256', key).update(identity.type).update('\u0000').update(identity.value).digest();
}
