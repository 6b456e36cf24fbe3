import ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';
import {
  abortReason,
  ConnectorAuthError,
  ConnectorRateLimitError,
  ConnectorRequestError,
  ConnectorTransientError,
  parseRetryAfter,
  withRetry,
  type ConnectorContext,
  type RetryDecision,
} from '@portrait/connector-sdk';
import { dataCenter, type MailchimpConfig } from '../mailchimp.config.js';
import type { MailchimpActivityFeed, MailchimpList, MailchimpMember, MailchimpMembersPage } from './marketing-types.js';

/**
 * Every call to Mailchimp goes through `@mailchimp/mailchimp_marketing` (one `ApiClient` per source,
 * configured with its own `setConfig`). Around it: Mailchimp's one limit — 10 simultaneous
 * connections per account — kept by a concurrency limiter shared by the whole run, retries of 429,
 * 5xx and network failures with backoff, and failures mapped to connector errors that say what to fix.
 */

/** Mailchimp refuses an account's 11th simultaneous connection with a 429. */
export const MAX_CONNECTIONS = 10;
export const RETRY = { maxRetries: 6, baseDelayMs: 250, maxDelayMs: 10_000 };
/** A call that has not answered within this time is abandoned and retried. */
const TIMEOUT_MS = 60_000;

export type QueryOptions = Record<string, string | number | boolean | string[] | undefined>;

export interface MarketingClient {
  readonly dataCenter: string;
  ping(): Promise<{ health_status: string }>;
  list(listId: string, options?: QueryOptions): Promise<MailchimpList>;
  members(listId: string, options: QueryOptions): Promise<MailchimpMembersPage>;
  member(listId: string, subscriberHash: string, options?: QueryOptions): Promise<MailchimpMember>;
  activityFeed(listId: string, subscriberHash: string, options: QueryOptions): Promise<MailchimpActivityFeed>;
}

/** The SDK's client for a source: its credentials, its data center, and the sandbox's origin when one is set. */
export function createSdkClient(config: Pick<MailchimpConfig, 'apiKey' | 'accessToken' | 'server' | 'apiBaseUrl'>): ApiClient {
  const client = new ApiClient();
  const server = dataCenter(config);
  client.setConfig(config.apiKey ? { apiKey: config.apiKey, server } : { accessToken: config.accessToken, server });
  // The SDK builds https://server.api.mailchimp.com/3.0 and puts the data center in place of `server`.
  if (config.apiBaseUrl) client.basePath = `${config.apiBaseUrl}/3.0`;
  client.timeout = TIMEOUT_MS;
  return client;
}

/** How every Marketing API call of a source is made: the SDK client, the data center, and `call`. */
export interface MailchimpCaller {
  sdk: ApiClient;
  center: string;
  /** Runs one SDK call under the account-wide limiter of 10 connections, retried with backoff, its failure mapped to a connector error. */
  call<T>(operation: string, fn: () => Promise<unknown>): Promise<T>;
}

/**
 * The caller of reads and writes alike: one limiter per data center for the whole run (the account's
 * 10 connections are shared by both). `retry` narrows the retries (a connection test should answer
 * within seconds, not minutes).
 */
export function createMailchimpCaller(config: MailchimpConfig, ctx: ConnectorContext, retry: Partial<typeof RETRY> = {}): MailchimpCaller {
  const sdk = createSdkClient(config);
  const center = dataCenter(config);
  const limiter = ctx.rateLimiter({ maxConcurrency: MAX_CONNECTIONS, key: `mailchimp:${center}` });
  const call = <T>(operation: string, fn: () => Promise<unknown>): Promise<T> =>
    withRetry(
      () =>
        limiter.schedule(async () => {
          if (ctx.signal.aborted) throw abortReason(ctx.signal);
          try {
            return (await fn()) as T;
          } catch (error) {
            throw toConnectorError(error, operation, center);
          }
        }, { signal: ctx.signal }),
      { ...RETRY, ...retry },
      {
        signal: ctx.signal,
        operation: `Mailchimp ${operation}`,
        classify: classifyMailchimpError,
        onRetry: ({ attempt, delayMs, decision }) => ctx.logger.warn({ operation, attempt, delayMs, reason: 'reason' in decision ? decision.reason : undefined }, 'retrying a Mailchimp call'),
      },
    );
  return { sdk, center, call };
}

/** `retry` narrows the retries (a connection test should answer within seconds, not minutes). */
export function createMarketingClient(config: MailchimpConfig, ctx: ConnectorContext, retry: Partial<typeof RETRY> = {}): MarketingClient {
  const { sdk, center, call } = createMailchimpCaller(config, ctx, retry);

  return {
    dataCenter: center,
    ping: () => call('GET /ping', () => sdk.ping.get()),
    list: (listId, options = {}) => call(`GET /lists/${listId}`, () => sdk.lists.getList(listId, options)),
    members: (listId, options) => call(`GET /lists/${listId}/members`, () => sdk.lists.getListMembersInfo(listId, options)),
    member: (listId, hash, options = {}) => call(`GET /lists/${listId}/members/{hash}`, () => sdk.lists.getListMember(listId, hash, options)),
    activityFeed: (listId, hash, options) => call(`GET /lists/${listId}/members/{hash}/activity-feed`, () => sdk.lists.getListMemberActivityFeed(listId, hash, options)),
  };
}

/** Which connector errors are worth another try, and how. */
export function classifyMailchimpError(error: unknown): RetryDecision {
  if (error instanceof ConnectorTransientError) return { kind: 'retryable', reason: error.message };
  if (error instanceof ConnectorRateLimitError) return { kind: 'rate_limited', retryAfterMs: error.retryAfterMs, reason: error.message };
  if (error instanceof ConnectorAuthError) return { kind: 'auth', reason: error.message };
  return { kind: 'fatal' };
}

/** A failure as superagent (under the SDK) reports it. */
interface SdkError extends Error {
  status?: number;
  code?: string;
  timeout?: number;
  response?: { body?: { title?: string; detail?: string }; headers?: Record<string, string | undefined> };
}

/** What a failed call means for the admin, without the key, the token or the request. */
export function toConnectorError(error: unknown, operation: string, center: string): Error {
  const e = error as SdkError;
  const status = typeof e?.status === 'number' ? e.status : undefined;
  const problem = e?.response?.body && typeof e.response.body === 'object' ? e.response.body : undefined;
  const said = problem?.title ? `${problem.title}${problem.detail ? `: ${problem.detail}` : ''}` : `HTTP ${status}`;
  if (status === 401) {
    return new ConnectorAuthError(
      `Mailchimp refused the credentials (HTTP 401, ${said}). Check the API key (Profile → Extras → API keys) and that its data center is ${center}.`,
    );
  }
  if (status === 403) {
    return new ConnectorAuthError(`Mailchimp denied access (HTTP 403, ${said}): the key's user lacks access to this account or the account is disabled.`);
  }
  if (status === 429) {
    return new ConnectorRateLimitError(`Mailchimp limited ${operation} (HTTP 429, ${said})`, { retryAfterMs: parseRetryAfter(e.response?.headers?.['retry-after']) });
  }
  if (status !== undefined && status >= 500) return new ConnectorTransientError(`Mailchimp answered ${operation} with HTTP ${status}`, { status });
  if (status !== undefined) return new ConnectorRequestError(`Mailchimp refused ${operation} (HTTP ${status}, ${said})`, { status });
  if (e && (e.timeout !== undefined || /ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|socket hang up/i.test(`${e.code ?? ''} ${e.message ?? ''}`))) {
    return new ConnectorTransientError(`Cannot reach Mailchimp (${center}) for ${operation}: ${e.code ?? e.message.split('\n')[0]}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
