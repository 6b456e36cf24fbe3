import { abortableSleep, abortReason } from './abortable-sleep.js';
import {
  ConnectorAuthError,
  ConnectorRateLimitError,
  ConnectorTransientError,
  isConnectorError,
} from './connector.errors.js';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = no retry). */
  maxRetries: number;
  /** First backoff ceiling; doubled at each retry (exponential backoff with full jitter). */
  baseDelayMs: number;
  /** Ceiling of one backoff delay. */
  maxDelayMs: number;
  /** A vendor asking to wait longer than this (Retry-After) fails the call with a rate-limit error instead. */
  maxRetryAfterMs: number;
  /** Source of randomness for the jitter, in [0, 1). */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
  random: Math.random,
};

/** How a failure should be handled. */
export type RetryDecision =
  | { kind: 'retryable'; reason?: string }
  | { kind: 'rate_limited'; retryAfterMs?: number; reason?: string }
  | { kind: 'auth'; reason?: string }
  | { kind: 'fatal' };

export interface RetryOptions {
  signal?: AbortSignal;
  /** Maps a (vendor) error to a decision. Defaults to {@link classifyConnectorError}. */
  classify?: (error: unknown) => RetryDecision;
  /** Called before each wait; use it to log (never log credentials or bodies). */
  onRetry?: (info: { attempt: number; delayMs: number; decision: RetryDecision; error: unknown }) => void;
  /** Names the operation in final error messages, e.g. `GET api.example.com/customers`. */
  operation?: string;
}

/** Default classification: understands the SDK's own errors; everything else is fatal (rethrown as is). */
export function classifyConnectorError(error: unknown): RetryDecision {
  if (!isConnectorError(error)) return { kind: 'fatal' };
  switch (error.code) {
    case 'CONNECTOR_AUTH':
      return { kind: 'auth', reason: error.message };
    case 'CONNECTOR_RATE_LIMIT':
      return { kind: 'rate_limited', retryAfterMs: (error as ConnectorRateLimitError).retryAfterMs, reason: error.message };
    case 'CONNECTOR_TRANSIENT':
      return { kind: 'retryable', reason: error.message };
    default:
      return { kind: 'fatal' };
  }
}

/** The delay before retry number `attempt` (1-based): full jitter over an exponential ceiling. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(policy.random() * ceiling);
}

/**
 * Runs `fn` with the retry policy: retries retryable and rate-limited failures with exponential
 * backoff and full jitter (or the vendor's Retry-After), fails at once on auth errors, and maps the
 * final failure to a typed connector error. Works around any call, e.g. an official vendor SDK's.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: Partial<RetryPolicy> = {},
  options: RetryOptions = {},
): Promise<T> {
  const p: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...policy };
  const classify = options.classify ?? classifyConnectorError;
  const operation = options.operation ?? 'operation';
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      const decision = classify(error);
      if (decision.kind === 'fatal') throw error;
      if (decision.kind === 'auth') {
        throw error instanceof ConnectorAuthError
          ? error
          : new ConnectorAuthError(`${operation}: credentials refused${decision.reason ? ` (${decision.reason})` : ''}`, { cause: error });
      }
      const retryAfterMs = decision.kind === 'rate_limited' ? decision.retryAfterMs : undefined;
      const exhausted = attempt >= p.maxRetries;
      const waitTooLong = retryAfterMs !== undefined && retryAfterMs > p.maxRetryAfterMs;
      if (exhausted || waitTooLong) throw finalError(error, decision, operation, attempt + 1);
      const delayMs = retryAfterMs ?? backoffDelay(attempt + 1, p);
      options.onRetry?.({ attempt: attempt + 1, delayMs, decision, error });
      await abortableSleep(delayMs, options.signal);
    }
  }
}

function finalError(error: unknown, decision: RetryDecision, operation: string, attempts: number): Error {
  const reason = 'reason' in decision && decision.reason ? decision.reason : error instanceof Error ? error.message : String(error);
  const suffix = `(gave up after ${attempts} attempt${attempts === 1 ? '' : 's'})`;
  if (decision.kind === 'rate_limited') {
    return new ConnectorRateLimitError(`${operation}: rate limited: ${reason} ${suffix}`, {
      retryAfterMs: decision.retryAfterMs,
      cause: error,
    });
  }
  const status = error instanceof ConnectorTransientError ? error.status : undefined;
  return new ConnectorTransientError(`${operation}: ${reason} ${suffix}`, { status, cause: error });
}
