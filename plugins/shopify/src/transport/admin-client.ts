import '@shopify/shopify-api/adapters/node';
import {
  ApiVersion,
  GraphqlQueryError,
  HttpMaxRetriesError,
  HttpRequestError,
  HttpResponseError,
  HttpRetriableError,
  LogSeverity,
  shopifyApi,
  type Shopify,
} from '@shopify/shopify-api';
import { abstractFetch } from '@shopify/shopify-api/runtime';
import {
  abortableSleep,
  abortReason,
  ConnectorAuthError,
  ConnectorRateLimitError,
  ConnectorRequestError,
  ConnectorTransientError,
  withRetry,
  type ConnectorContext,
  type RetryDecision,
} from '@portrait/connector-sdk';
import type { ShopifyConfig } from '../shopify.config.js';
import { costPacer, type QueryCost } from './cost-pacer.js';
import { forwardTo, routeShop } from './shop-router.js';

/**
 * Every call to Shopify goes through `@shopify/shopify-api`'s Admin GraphQL client (pinned API
 * version). Around it: pacing from the answers' `extensions.cost.throttleStatus`, waiting out
 * GraphQL `THROTTLED` answers (HTTP 200, which the SDK does not retry), retries of 5xx and network
 * failures, and Shopify's failures mapped to connector errors that say what to fix.
 */

/** The Admin API version the connector is written and tested against. */
export const SHOPIFY_API_VERSION = ApiVersion.July26;

/** 429 and 503 are retried by the SDK itself (with the Retry-After it is given). */
const SDK_RETRIES = 3;
const RETRY = { maxRetries: 5, baseDelayMs: 200, maxDelayMs: 10_000 };
/** A THROTTLED answer is waited out this many times in a row before the call gives up. */
const MAX_THROTTLED = 30;

export interface AdminClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Streams the lines of a bulk operation's result file. */
  lines(url: string): AsyncGenerator<string>;
}

export function createShopify(config: Pick<ShopifyConfig, 'accessToken' | 'webhookSecret'>): Shopify {
  return shopifyApi({
    apiKey: 'portrait',
    // The app's secret signs webhooks; the Admin API calls authenticate with the access token.
    apiSecretKey: config.webhookSecret ?? 'unset',
    adminApiAccessToken: config.accessToken,
    isCustomStoreApp: true,
    isEmbeddedApp: false,
    hostName: 'localhost',
    apiVersion: SHOPIFY_API_VERSION,
    // The SDK's own log lines may carry request details: keep them out of Portrait's logs.
    logger: { level: LogSeverity.Error, httpRequests: false, log: () => undefined },
    _logDisabledFutureFlags: false,
  });
}

export function createAdminClient(config: Pick<ShopifyConfig, 'shop' | 'accessToken' | 'webhookSecret' | 'adminApiOrigin'>, ctx: ConnectorContext): AdminClient {
  // A local Shopify-compatible server (the sandbox) answers for the shop: the SDK's requests go there.
  if (config.adminApiOrigin) routeShop(config.shop, config.adminApiOrigin);
  const shopify = createShopify(config);
  const session = shopify.session.customAppSession(config.shop);
  const client = new shopify.clients.Graphql({ session });
  const pacer = costPacer(config.shop);
  const operation = `Shopify Admin API (${config.shop})`;

  async function once<T>(query: string, variables: Record<string, unknown> | undefined): Promise<T> {
    for (let throttled = 0; ; throttled++) {
      await pacer.beforeRequest(query, ctx.signal);
      let response;
      try {
        response = await client.request(query, { variables, retries: SDK_RETRIES, signal: ctx.signal });
      } catch (error) {
        if (ctx.signal.aborted) throw abortReason(ctx.signal);
        const cost = (error as GraphqlQueryError).body?.extensions?.cost as QueryCost | undefined;
        if (cost) pacer.afterResponse(query, cost);
        if (error instanceof GraphqlQueryError && isThrottled(error)) {
          if (throttled >= MAX_THROTTLED) throw new ConnectorRateLimitError(`${operation}: still THROTTLED after ${throttled} waits`);
          const waitMs = cost ? pacer.throttledWaitMs(cost) : 1000;
          ctx.logger.debug({ shop: config.shop, waitMs }, 'Shopify answered THROTTLED: waiting for the bucket to refill');
          await abortableSleep(waitMs, ctx.signal);
          continue;
        }
        throw toConnectorError(error, config.shop);
      }
      const cost = (response as { extensions?: { cost?: QueryCost } }).extensions?.cost;
      if (cost) pacer.afterResponse(query, cost);
      return response.data as T;
    }
  }

  return {
    request<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
      return withRetry(() => once<T>(query, variables), RETRY, { signal: ctx.signal, operation, classify });
    },
    async *lines(url: string): AsyncGenerator<string> {
      // The result file is not an Admin API call: it is fetched from storage through the SDK's runtime transport.
      const response = await withRetry(
        async () => {
          // From a local server, the file is its own too.
          const [target, init] = config.adminApiOrigin ? forwardTo(config.adminApiOrigin, url, { signal: ctx.signal }) : [url, { signal: ctx.signal }];
          const res = (await abstractFetch(target, init)) as Response;
          if (res.status === 429) throw new ConnectorRateLimitError(`bulk result download: HTTP 429`);
          if (res.status >= 500) throw new ConnectorTransientError(`bulk result download: HTTP ${res.status}`, { status: res.status });
          if (!res.ok) throw new ConnectorRequestError(`bulk result download: HTTP ${res.status}`, { status: res.status });
          return res;
        },
        RETRY,
        { signal: ctx.signal, operation: 'Shopify bulk result download' },
      );
      if (!response.body) return;
      const decoder = new TextDecoder();
      let rest = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        rest += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, newline).trim();
          rest = rest.slice(newline + 1);
          if (line) yield line;
        }
      }
      rest += decoder.decode();
      if (rest.trim()) yield rest.trim();
    },
  };
}

function isThrottled(error: GraphqlQueryError): boolean {
  const errors = (error.body?.errors?.graphQLErrors ?? []) as { extensions?: { code?: string } }[];
  return errors.some((e) => e.extensions?.code === 'THROTTLED');
}

function classify(error: unknown): RetryDecision {
  if (error instanceof ConnectorTransientError) return { kind: 'retryable', reason: error.message };
  if (error instanceof ConnectorRateLimitError) return { kind: 'rate_limited', retryAfterMs: error.retryAfterMs, reason: error.message };
  if (error instanceof ConnectorAuthError) return { kind: 'auth', reason: error.message };
  return { kind: 'fatal' };
}

/** What a failed call means for the admin, without the token or the request body. */
export function toConnectorError(error: unknown, shop: string): Error {
  if (error instanceof GraphqlQueryError) {
    const errors = (error.body?.errors?.graphQLErrors ?? []) as { message?: string; extensions?: { code?: string; requiredAccess?: string } }[];
    const denied = errors.find((e) => e.extensions?.code === 'ACCESS_DENIED');
    if (denied) {
      const scope = /`(\w+)`/.exec(denied.extensions?.requiredAccess ?? denied.message ?? '')?.[1];
      return new ConnectorAuthError(`Shopify denied access: the app's token lacks the ${scope ?? 'required'} scope. Add it to the app's Admin API access scopes in ${shop}'s admin and reinstall the app.`);
    }
    return new ConnectorRequestError(`Shopify refused the query: ${errors.map((e) => e.message).join('; ') || error.message}`, { status: 200 });
  }
  // The SDK reports any 429/5xx that outlived its own retries this way: worth retrying later.
  if (error instanceof HttpMaxRetriesError) return new ConnectorTransientError(`Shopify kept answering 429/5xx for ${shop}`);
  if (error instanceof HttpRetriableError) {
    const status = (error as HttpResponseError).response.code;
    return new ConnectorTransientError(`Shopify answered HTTP ${status} for ${shop}`, { status });
  }
  if (error instanceof HttpResponseError) {
    const status = error.response.code;
    if (status === 401) return new ConnectorAuthError(`Shopify refused the Admin API access token for ${shop} (HTTP 401): check the token of the app (Settings → Apps and sales channels → Develop apps → API credentials).`);
    if (status === 403) return new ConnectorAuthError(`Shopify refused access to ${shop} (HTTP 403): the app lacks a scope it needs (read_customers, read_orders, read_returns) or the shop is unavailable.`);
    if (status === 404) return new ConnectorRequestError(`No Shopify shop answers at ${shop} (HTTP 404): check the shop's myshopify.com domain.`, { status });
    if (status === 402 || status === 423) return new ConnectorRequestError(`Shopify shop ${shop} is frozen or locked (HTTP ${status}).`, { status });
    return new ConnectorRequestError(`Shopify answered HTTP ${status} for ${shop}`, { status });
  }
  if (error instanceof HttpRequestError || (error instanceof Error && /fetch failed|network|ECONN|ETIMEDOUT/i.test(error.message))) {
    return new ConnectorTransientError(`Cannot reach Shopify shop ${shop}: ${error.message.split('\n')[0]}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
