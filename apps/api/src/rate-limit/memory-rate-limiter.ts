import type { BucketState, RateLimitDecision, RateLimiter } from './rate-limiter.js';
import { takeToken } from './rate-limiter.js';

/** Buckets idle this long are full again and can be forgotten. */
const IDLE_MS = 60_000;
const SWEEP_ABOVE = 10_000;

/** Buckets in this process's memory: right for one API process (REDIS_URL unset). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();

  constructor(private readonly now: () => number = Date.now) {}

  async take(bucket: string, perMinute: number): Promise<RateLimitDecision> {
    const now = this.now();
    if (this.buckets.size > SWEEP_ABOVE) this.sweep(now);
    const { state, decision } = takeToken(this.buckets.get(bucket), perMinute, now);
    this.buckets.set(bucket, state);
    return decision;
  }

  private sweep(now: number): void {
    for (const [bucket, state] of this.buckets) if (now - state.at > IDLE_MS) this.buckets.delete(bucket);
  }
}
