import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { z } from 'zod';
import { PORTRAIT_CONFIG, type PortraitConfig } from '../../engine/config/portrait-config.js';
import { SecretBox } from '../../engine/crypto/secret-box.js';
import { resealColumn } from '../../engine/crypto/reseal.js';
import { rows } from '../../engine/database/sql.js';
import { keysetPage, type PageQuery } from '../profiles/keyset-page.js';
import { isUuid } from '../profiles/profiles.service.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events.js';
import { WebhookException } from './webhook.exception.js';

export const createWebhookSubscriptionSchema = z.object({
  url: z
    .string()
    .url('must be an absolute URL')
    .refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL'),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` })).min(1, 'subscribe to at least one event'),
  description: z.string().max(500, 'must be at most 500 characters').optional(),
});

export type CreateWebhookSubscriptionInput = z.input<typeof createWebhookSubscriptionSchema>;

export interface WebhookSubscriptionView {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  createdAt: string;
}

export interface WebhookDeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

interface SubscriptionRow {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  created_at: Date;
}

/** A subscription's signing secret as stored: sealed, with the id of the key that sealed it (null: the earlier format). */
export interface SealedSigningSecret {
  secret_sealed: string;
  secret_key_id: string | null;
}

/**
 * Webhook subscriptions of a workspace. The signing secret (`whsec_…`) is returned once, at creation;
 * it is stored sealed by the secret box (AES-256-GCM under PORTRAIT_SECRET_KEY, the embedded key
 * without one) because deliveries must sign with it, and opens after a key rotation like any secret.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PORTRAIT_CONFIG) private readonly config: PortraitConfig,
    private readonly secretBox: SecretBox,
  ) {}

  async create(workspaceId: string, input: unknown): Promise<WebhookSubscriptionView & { secret: string }> {
    const parsed = createWebhookSubscriptionSchema.safeParse(input);
    if (!parsed.success) {
      throw new WebhookException('INVALID_WEBHOOK_SUBSCRIPTION', 'the subscription is not valid', {
        errors: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
      });
    }
    const secret = newSecret();
    const [row]: SubscriptionRow[] = await this.dataSource.query(
      `INSERT INTO webhook_subscriptions (workspace_id, url, events, description, secret_sealed, secret_key_id)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, url, events, description, created_at`,
      [workspaceId, parsed.data.url, [...new Set(parsed.data.events)], parsed.data.description ?? null, ...this.seal(secret)],
    );
    return { ...view(row!), secret };
  }

  async list(workspaceId: string): Promise<WebhookSubscriptionView[]> {
    const rows: SubscriptionRow[] = await this.dataSource.query(
      `SELECT id, url, events, description, created_at FROM webhook_subscriptions
       WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
      [workspaceId],
    );
    return rows.map(view);
  }

  async get(workspaceId: string, id: string): Promise<WebhookSubscriptionView> {
    const rows: SubscriptionRow[] = isUuid(id)
      ? await this.dataSource.query(
          `SELECT id, url, events, description, created_at FROM webhook_subscriptions WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`,
          [workspaceId, id],
        )
      : [];
    if (!rows[0]) throw new WebhookException('WEBHOOK_SUBSCRIPTION_NOT_FOUND', `webhook subscription ${id} does not exist`);
    return view(rows[0]);
  }

  /** Stops deliveries to it (pending ones are dropped); the delivery log stays readable by id. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    await this.dataSource.transaction(async (m) => {
      await m.query(`UPDATE webhook_subscriptions SET deleted_at = now() WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
      await m.query(`UPDATE webhook_deliveries SET status = 'failed', last_error = 'subscription deleted' WHERE subscription_id = $1 AND status = 'pending'`, [id]);
    });
  }

  /**
   * A new signing secret (`whsec_…`) for a subscription, returned this once; deliveries from now on are
   * signed with it (the old one stops at once: the receiver swaps it in when it gets this answer).
   */
  async rotateSecret(workspaceId: string, id: string): Promise<WebhookSubscriptionView & { secret: string }> {
    const subscription = await this.get(workspaceId, id);
    const secret = newSecret();
    await this.dataSource.query(`UPDATE webhook_subscriptions SET secret_sealed = $3, secret_key_id = $4 WHERE workspace_id = $1 AND id = $2`, [
      workspaceId,
      id,
      ...this.seal(secret),
    ]);
    return { ...subscription, secret };
  }

  /**
   * Sends a delivery again: it is due at once, whatever its status (a delivered one is sent a second
   * time, with its same event id, which receivers deduplicate on). A failed attempt is retried with
   * backoff while the event is younger than the retry window (24 hours); an older one is tried once.
   * Answers the delivery as it now is.
   */
  async redeliver(workspaceId: string, subscriptionId: string, deliveryId: string): Promise<WebhookDeliveryView> {
    await this.get(workspaceId, subscriptionId);
    const [row] = isUuid(deliveryId)
      ? await this.dataSource.query(
          `WITH due AS (
             UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(), delivered_at = NULL
             WHERE workspace_id = $1 AND subscription_id = $2 AND id = $3 RETURNING ${DELIVERY_COLUMNS})
           SELECT * FROM due`,
          [workspaceId, subscriptionId, deliveryId],
        )
      : [];
    if (!row) throw new WebhookException('WEBHOOK_DELIVERY_NOT_FOUND', `webhook delivery ${deliveryId} does not exist`);
    return deliveryView(row);
  }

  /** The delivery log of a subscription, newest first. */
  async deliveries(workspaceId: string, id: string, query: PageQuery = {}) {
    await this.get(workspaceId, id);
    const { rows, nextCursor } = await keysetPage<Record<string, unknown>>(
      this.dataSource,
      { time: 'created_at', id: 'id', descending: true },
      query,
      [id],
      ({ after, keys, orderAndLimit }) =>
        `SELECT ${DELIVERY_COLUMNS}, ${keys}
         FROM webhook_deliveries WHERE subscription_id = $1 ${after} ${orderAndLimit}`,
      () => new WebhookException('INVALID_CURSOR', 'cursor is not one this API returned'),
    );
    return { data: rows.map(deliveryView), nextCursor };
  }

  /** The clear signing secret of a subscription, for the delivery of its events. */
  unseal(stored: SealedSigningSecret): string {
    if (stored.secret_key_id) return this.secretBox.open({ ciphertext: stored.secret_sealed, keyId: stored.secret_key_id });
    return this.openEarlierFormat(stored.secret_sealed);
  }

  /** Seals again under the current key every signing secret sealed under another key or in the earlier format (`portrait secrets rotate`); answers how many. */
  resealSecrets(): Promise<number> {
    return resealColumn(this.dataSource, this.secretBox, { table: 'webhook_subscriptions', ciphertext: 'secret_sealed', keyId: 'secret_key_id' }, (sealed, keyId) =>
      this.unseal({ secret_sealed: sealed, secret_key_id: keyId }),
    );
  }

  private seal(secret: string): [ciphertext: string, keyId: string] {
    const sealed = this.secretBox.seal(secret);
    return [sealed.ciphertext, sealed.keyId];
  }

  /**
   * Opens a secret sealed in the earlier format, `keyId.iv.tag.data` with AES-256-GCM under
   * sha256("portrait.webhooks:" + key), by the current key or one of the previous ones.
   */
  private openEarlierFormat(sealed: string): string {
    const [keyId, iv, tag, data] = sealed.split('.');
    for (const secretKey of [this.config.secretKey, ...(this.config.previousSecretKeys ?? [])]) {
      if (!secretKey) continue;
      const key = createHash('sha256').update(`portrait.webhooks:${secretKey}`).digest();
      if (createHash('sha256').update(key).digest('hex').slice(0, 8) !== keyId) continue;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(data!, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new WebhookException('SECRET_UNREADABLE', 'a webhook secret could not be opened (corrupted or tampered with)');
      }
    }
    throw new WebhookException('SECRET_KEY_REQUIRED', 'a webhook secret was sealed with a key that is neither PORTRAIT_SECRET_KEY nor one of PORTRAIT_SECRET_KEYS_PREVIOUS');
  }

  /**
   * Deletes the deliveries (pending or sent) of events about these profiles, in the caller's
   * transaction (an erasure): an event's `data.profileId`, or the `mergedInto` of a merge.
   */
  async eraseProfilesIn(runner: QueryRunner, workspaceId: string, profileIds: string[]): Promise<Record<string, number>> {
    const gone = await rows(
      runner,
      `DELETE FROM webhook_deliveries d WHERE d.workspace_id = $1
         AND (d.payload #>> '{data,profileId}' = ANY($2::text[]) OR d.payload #>> '{data,mergedInto}' = ANY($2::text[]))
       RETURNING 1`,
      [workspaceId, profileIds],
    );
    return { webhook_deliveries: gone.length };
  }
}

const DELIVERY_COLUMNS = `id, event_id, event_type, status, attempts, next_attempt_at, last_attempt_at, last_response_status, last_error, delivered_at, created_at`;

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

function deliveryView(r: Record<string, unknown>): WebhookDeliveryView {
  const iso = (d: unknown) => (d ? new Date(d as string).toISOString() : null);
  return {
    id: r.id as string,
    eventId: r.event_id as string,
    eventType: r.event_type as string,
    status: r.status as WebhookDeliveryView['status'],
    attempts: r.attempts as number,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    lastAttemptAt: iso(r.last_attempt_at),
    lastResponseStatus: (r.last_response_status as number | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    deliveredAt: iso(r.delivered_at),
    createdAt: iso(r.created_at)!,
  };
}

function view(row: SubscriptionRow): WebhookSubscriptionView {
  return { id: row.id, url: row.url, events: row.events, description: row.description, createdAt: new Date(row.created_at).toISOString() };
}
