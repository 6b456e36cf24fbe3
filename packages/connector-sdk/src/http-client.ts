import { abortReason } from './abortable-sleep.js';
import {
  ConnectorAuthError,
  ConnectorRateLimitError,
  ConnectorRequestError,
  ConnectorTransientError,
} from './connector.errors.js';
import { silentLogger, type ConnectorLogger } from './connector.logger.js';
import type { RateLimiter } from './rate-limiter.js';
import { withRetry, type RetryPolicy } from './retry-policy.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export type QueryValue = string | number | boolean | undefined | null;

export interface HttpRequest {
  method?: HttpMethod;
  /** Absolute URL, or a path resolved against the client's `baseUrl`. */
  url: string;
  headers?: Record<string, string>;
  query?: Record<string, QueryValue | QueryValue[]>;
  /** Sent as JSON (`content-type: application/json`) unless it is a string or a Buffer. */
  body?: unknown;
  /** Per-attempt timeout; a timed-out attempt is retried like a network error. */
  timeoutMs?: number;
  /** Overrides the client's retry policy for this request. */
  retry?: Partial<RetryPolicy>;
  /** 4xx statuses the caller handles itself (e.g. `[404]`) instead of getting a `ConnectorRequestError`. */
  acceptStatus?: number[];
}

export interface HttpResponse<T = unknown> {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON when the response says it is JSON, else text. */
  body: T;
}

export interface HttpClientOptions {
  baseUrl?: string;
  defaultHeaders?: Record<string, string>;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: ConnectorLogger;
  /** Aborts every request (the run was cancelled). */
  signal?: AbortSignal;
  /** Every attempt goes through this limiter when given. */
  rateLimiter?: RateLimiter;
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

/** Parses a Retry-After header (delta seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * JSON-over-HTTP on the global `fetch`, with retries (exponential backoff + full jitter, Retry-After
 * honoured on 429/503) and failures mapped to typed connector errors. Logs method, host, path,
 * status and attempt only — never headers, query strings or bodies.
 */
export class HttpClient {
  private readonly options: HttpClientOptions;
  private readonly fetchFn: typeof fetch;
  private readonly logger: ConnectorLogger;

  constructor(options: HttpClientOptions = {}) {
    this.options = options;
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.logger = options.logger ?? silentLogger;
  }

  /** A client sharing this one's transport, retry and limiter, with extra defaults (base URL, auth headers). */
  extend(options: Pick<HttpClientOptions, 'baseUrl' | 'defaultHeaders' | 'timeoutMs' | 'retry'>): HttpClient {
    return new HttpClient({
      ...this.options,
      ...options,
      defaultHeaders: { ...this.options.defaultHeaders, ...options.defaultHeaders },
      retry: { ...this.options.retry, ...options.retry },
    });
  }

  get<T = unknown>(url: string, request: Omit<HttpRequest, 'url' | 'method'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({ ...request, url, method: 'GET' });
  }

  post<T = unknown>(url: string, body: unknown, request: Omit<HttpRequest, 'url' | 'method' | 'body'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({ ...request, url, body, method: 'POST' });
  }

  async request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>> {
    const method = request.method ?? 'GET';
    const url = this.buildUrl(request);
    const operation = `${method} ${url.host}${url.pathname}`;
    const signal = this.options.signal;
    return withRetry(
      () => {
        const attempt = () => this.attempt<T>(request, method, url, operation);
        return this.options.rateLimiter ? this.options.rateLimiter.schedule(attempt, { signal }) : attempt();
      },
      { ...this.options.retry, ...request.retry },
      {
        signal,
        operation,
        onRetry: ({ attempt, delayMs, decision }) =>
          this.logger.warn({ operation, attempt, delayMs, reason: 'reason' in decision ? decision.reason : undefined }, 'retrying request'),
      },
    );
  }

  private buildUrl(request: HttpRequest): URL {
    const url = this.options.baseUrl ? new URL(request.url, withTrailingSlash(this.options.baseUrl)) : new URL(request.url);
    for (const [key, raw] of Object.entries(request.query ?? {})) {
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (value !== undefined && value !== null) url.searchParams.append(key, String(value));
      }
    }
    return url;
  }

  private async attempt<T>(request: HttpRequest, method: HttpMethod, url: URL, operation: string): Promise<HttpResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.defaultHeaders, ...request.headers };
    let body: string | Buffer | undefined;
    if (request.body !== undefined) {
      if (typeof request.body === 'string' || Buffer.isBuffer(request.body)) body = request.body;
      else {
        body = JSON.stringify(request.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
    }
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;

    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(url, { method, headers, body, signal });
      text = await response.text();
    } catch (error) {
      if (this.options.signal?.aborted) throw abortReason(this.options.signal);
      if (timeout.aborted) throw new ConnectorTransientError(`timed out after ${timeoutMs} ms`, { cause: error });
      throw new ConnectorTransientError(`network error: ${describeNetworkError(error)}`, { cause: error });
    }

    const status = response.status;
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      responseHeaders[key] = value;
    });
    this.logger.debug({ operation, status }, 'response');

    if (status === 401 || status === 403) {
      throw new ConnectorAuthError(`${operation}: credentials refused (HTTP ${status})`);
    }
    if (status === 429) {
      throw new ConnectorRateLimitError(`responded 429`, { retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) });
    }
    if (status === 503 && response.headers.get('retry-after')) {
      // A 503 with Retry-After is the server asking to come back later: treat it as a rate limit to honour the hint.
      throw new ConnectorRateLimitError(`responded 503`, { retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) });
    }
    if (status >= 500) throw new ConnectorTransientError(`responded ${status}`, { status });
    if (status >= 400 && !request.acceptStatus?.includes(status)) {
      throw new ConnectorRequestError(`${operation}: responded ${status}`, { status });
    }

    const contentType = response.headers.get('content-type') ?? '';
    if (contentType.includes('json') && text.length > 0) {
      try {
        return { status, headers: responseHeaders, body: JSON.parse(text) as T };
      } catch (error) {
        // A truncated or garbled payload is a transport failure: ask again.
        throw new ConnectorTransientError('response body is not valid JSON', { status, cause: error });
      }
    }
    return { status, headers: responseHeaders, body: text as T };
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  return error instanceof Error ? error.message : 'unknown';
}
