import type { ConnectorContext } from './connector.js';
import { silentLogger, type ConnectorLogger } from './connector.logger.js';
import { HttpClient, type HttpClientOptions } from './http-client.js';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
import type { RetryPolicy } from './retry-policy.js';

export interface ConnectorContextOptions {
  /** Defaults to a logger that drops everything. */
  logger?: ConnectorLogger;
  /** Cancels the run: every HTTP client and limiter wait of the context stops when it aborts. */
  signal?: AbortSignal;
  /** The transport of every HTTP client (defaults to the global `fetch`). */
  fetch?: typeof fetch;
  /** Retry defaults of every HTTP client; a plugin's own `http({ retry })` overrides them field by field. */
  retry?: Partial<RetryPolicy>;
}

/**
 * The default `ConnectorContext`: what the sync engine hands a connector on each run, and what the
 * testkit hands it in tests. HTTP clients it builds share the context's signal, logger and transport;
 * rate limiters are shared for the whole run by key (by default, by their settings), so every call a
 * plugin makes in one run draws from the same bucket.
 */
export function createConnectorContext(options: ConnectorContextOptions = {}): ConnectorContext {
  const logger = options.logger ?? silentLogger;
  const signal = options.signal ?? new AbortController().signal;
  const limiters = new Map<string, RateLimiter>();

  return {
    logger,
    signal,
    http(httpOptions: HttpClientOptions = {}): HttpClient {
      return new HttpClient({
        ...httpOptions,
        logger: httpOptions.logger ?? logger,
        signal: httpOptions.signal ? AbortSignal.any([signal, httpOptions.signal]) : signal,
        fetch: httpOptions.fetch ?? options.fetch,
        retry: { ...options.retry, ...httpOptions.retry },
      });
    },
    rateLimiter(limiterOptions: RateLimiterOptions): RateLimiter {
      const key =
        limiterOptions.key ?? JSON.stringify([limiterOptions.ratePerSecond ?? null, limiterOptions.burst ?? null, limiterOptions.maxConcurrency ?? null]);
      let limiter = limiters.get(key);
      if (!limiter) {
        limiter = new RateLimiter(limiterOptions);
        limiters.set(key, limiter);
      }
      return limiter;
    },
  };
}
