/** The outcome of asking for one request's token. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests per minute of the key. */
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused: seconds until a token is there again (at least 1). */
  retryAfterSeconds: number;
}

/**
 * A token bucket per API key: it holds at most one minute's worth of requests (so a quiet key may
 * burst up to its limit) and refills continuously at limit/60 tokens per second.
 */
export interface RateLimiter {
  take(bucket: string, perMinute: number): Promise<RateLimitDecision>;
}

export const RATE_LIMITER = Symbol('RATE_LIMITER');

export interface BucketState {
  tokens: number;
  /** Milliseconds since the epoch of the last refill. */
  at: number;
}

/** One step of the bucket: refill for the time elapsed, then take a token if there is one. */
export function takeToken(state: BucketState | undefined, perMinute: number, now: number): { state: BucketState; decision: RateLimitDecision } {
  const perMs = perMinute / 60_000;
  let tokens = state ? Math.min(perMinute, state.tokens + Math.max(0, now - state.at) * perMs) : perMinute;
  const allowed = tokens >= 1;
  if (allowed) tokens -= 1;
  return {
    state: { tokens, at: now },
    decision: {
      allowed,
      limit: perMinute,
      remaining: Math.floor(tokens),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
    },
  };
}
