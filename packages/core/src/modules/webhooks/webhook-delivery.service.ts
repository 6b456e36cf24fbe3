import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';
import { WebhooksService } from './webhooks.service.js';

/** Deliveries are retried with backoff for this long after the event, then marked failed. */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** How long a claimed delivery is reserved for the process that claimed it (a crash frees it after). */
const LEASE_SECONDS = 120;
const REQUEST_TIMEOUT_MS = 10_000;

/** Delay before attempt `attempts + 1`: 30 s doubling to at most 2 h, with ±20% jitter. */
export function webhookBackoffMs(attempts: number, random = Math.random): number {
  const base = Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 2 * 60 * 60 * 1000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

interface ClaimedDelivery {
  id: string;
  payload: Record<string, unknown>;
  attempts: number;
  created_at: Date;
  url: string;
  secret_sealed: string;
  secret_key_id: string | null;
}

/**
 * Sends what is due. Deliveries are claimed with SKIP LOCKED under a short lease, so any number of
 * worker processes share them and none is sent twice at once; the HTTP call happens outside any
 * transaction.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly webhooks: WebhooksService,
  ) {}

  /** Attempts up to `limit` due deliveries; returns how many were attempted. */
  async deliverDue(limit = 50): Promise<number> {
    // UPDATE … RETURNING inside a WITH: TypeORM hands back the rows of a SELECT as they are.
    const claimed: ClaimedDelivery[] = await this.dataSource.query(
      `WITH claimed AS (
       UPDATE webhook_deliveries d
       SET attempts = d.attempts + 1, last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => $2)
       FROM webhook_subscriptions s
       WHERE s.id = d.subscription_id AND d.id IN (
         SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING d.id, d.payload, d.attempts, d.created_at, s.url, s.secret_sealed, s.secret_key_id)
       SELECT * FROM claimed`,
      [limit, LEASE_SECONDS],
    );
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    return claimed.length;
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const signature = signWebhook(this.webhooks.unseal(delivery), Math.floor(Date.now() / 1000), body);
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Portrait-Webhooks/1', [WEBHOOK_SIGNATURE_HEADER]: signature },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      await response.body?.cancel();
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    if (!error) {
      await this.dataSource.query(
        `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_response_status = $2, last_error = NULL WHERE id = $1`,
        [delivery.id, status],
      );
      return;
    }
    const giveUp = Date.now() - new Date(delivery.created_at).getTime() >= WEBHOOK_RETRY_WINDOW_MS;
    this.logger.warn({ deliveryId: delivery.id, attempts: delivery.attempts, error, giveUp }, 'webhook delivery failed');
    await this.dataSource.query(
      `UPDATE webhook_deliveries
       SET status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END, last_response_status = $2, last_error = $3,
           next_attempt_at = now() + make_interval(secs => $5)
       WHERE id = $1`,
      [delivery.id, status, error.slice(0, 500), giveUp, webhookBackoffMs(delivery.attempts) / 1000],
    );
  }
}
