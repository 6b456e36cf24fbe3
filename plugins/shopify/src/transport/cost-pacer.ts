import { abortableSleep } from '@portrait/connector-sdk';

/**
 * Paces calls to a shop from the cost Shopify reports with every answer
 * (`extensions.cost.throttleStatus`: what is available now, the bucket's size, its restore rate), so
 * that a query is only sent when the bucket holds its requested cost: on any plan, a sync runs at the
 * plan's restore rate without being throttled in steady state. One pacer per shop, shared by every
 * stream and call of the process, because Shopify keeps one bucket per app and shop.
 */

export interface QueryCost {
  requestedQueryCost: number;
  actualQueryCost: number | null;
  throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

export class CostPacer {
  private status: { available: number; maximum: number; restoreRate: number; at: number } | undefined;
  /** The requested cost of each query text the last time it ran (the same query costs the same). */
  private readonly requested = new Map<string, number>();
  /** Points the pacer waited for, and how many THROTTLED answers it met (for the bench). */
  waitedMs = 0;
  throttled = 0;

  /** Points available now, as far as the last answer tells. */
  estimate(now = Date.now()): number | undefined {
    if (!this.status) return undefined;
    return Math.min(this.status.maximum, this.status.available + ((now - this.status.at) / 1000) * this.status.restoreRate);
  }

  async beforeRequest(query: string, signal: AbortSignal): Promise<void> {
    const cost = this.requested.get(query);
    const available = this.estimate();
    if (cost === undefined || available === undefined || !this.status || available >= cost) return;
    const waitMs = Math.ceil(((cost - available) / this.status.restoreRate) * 1000);
    this.waitedMs += waitMs;
    await abortableSleep(waitMs, signal);
  }

  afterResponse(query: string, cost: QueryCost): void {
    this.requested.set(query, cost.requestedQueryCost);
    const { currentlyAvailable, maximumAvailable, restoreRate } = cost.throttleStatus;
    this.status = { available: currentlyAvailable, maximum: maximumAvailable, restoreRate, at: Date.now() };
    if (cost.actualQueryCost === null) this.throttled++;
  }

  /** Shopify's advice on THROTTLED: wait (requested − available) / restoreRate seconds. */
  throttledWaitMs(cost: QueryCost): number {
    const { currentlyAvailable, restoreRate } = cost.throttleStatus;
    return Math.max(50, Math.ceil(((cost.requestedQueryCost - currentlyAvailable) / restoreRate) * 1000));
  }
}

const pacers = new Map<string, CostPacer>();

/** The pacer of a shop (one per process). */
export function costPacer(shop: string): CostPacer {
  let pacer = pacers.get(shop);
  if (!pacer) {
    pacer = new CostPacer();
    pacers.set(shop, pacer);
  }
  return pacer;
}
