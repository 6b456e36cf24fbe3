import { createHmac, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { execute, GraphQLError, Kind, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { createSandboxServer, json, type ConformanceMutation, type ConformanceSandbox, type FaultRule, type SandboxFaults, type SandboxRequest, type SandboxServer, type Population } from '@portrait/testkit';
import { buildAdminSchema, type ExecutionContext } from './admin-schema.js';
import { BULK_STORAGE_PREFIX, bulkQueryLimit, BulkOperations } from './bulk-operations.js';
import { actualQueryCost, LeakyBucket, MAX_QUERY_COST, requestedQueryCost } from './query-cost.js';
import { gid, ShopData, type SandboxCustomer, type SandboxOrder } from './shop-data.js';
import { registerSandboxShop, SANDBOX_HOST_HEADER } from './sandbox-transport.js';
import { customerWebhookPayload, orderWebhookPayload, refundWebhookPayload } from './webhook-payloads.js';

/**
 * A local Shopify shop answering the GraphQL Admin API (`POST /admin/api/<version>/graphql.json`)
 * for the queries the connector sends: graphql-js over the schema subset in `admin-schema.ts`, query
 * cost and a leaky bucket per plan, THROTTLED answers when drained, bulk operations producing JSONL,
 * the 60-day order window without `read_all_orders`, 401 for a bad token, 404 for an unknown shop,
 * and signed webhook deliveries. The unmodified `@shopify/shopify-api` reaches it through its
 * transport hook (see `sandbox-transport.ts`).
 */

/** Shopify's plans by GraphQL restore rate (points per second). */
export const SHOPIFY_PLANS = { standard: 100, advanced: 200, plus: 1000 } as const;
export type ShopifyPlan = keyof typeof SHOPIFY_PLANS;

export interface ShopifySandboxOptions {
  /** `<name>.myshopify.com` (default `portrait-sandbox.myshopify.com`). */
  shop?: string;
  /** Population seed (default 29). */
  seed?: number;
  population?: Population;
  customers?: number;
  orders?: number;
  plan?: ShopifyPlan;
  /** Line items per order, in [min, max] (default [1, 4]). */
  lineItems?: [number, number];
  /** Points in the shop's bucket at the start, as if another app had just spent the rest (default: full). */
  initialPoints?: number;
  /** Whether the token has `read_all_orders`; without it only the last 60 days of orders are visible (default true). */
  readAllOrders?: boolean;
  /** Scopes granted to the token (default read_customers, read_orders, read_returns, and read_all_orders when `readAllOrders`). */
  scopes?: string[];
  accessToken?: string;
  /** The app's API secret key: signs webhooks. */
  apiSecret?: string;
  /** The least time a bulk operation stays RUNNING (default 30 ms). */
  bulkRunMs?: number;
  faults?: FaultRule[];
  host?: string;
  port?: number;
}

/** The API version the sandbox's schema follows and its webhooks name. */
export const SANDBOX_API_VERSION = '2026-07';

export const SANDBOX_ACCESS_TOKEN = 'shpat_sandbox0000000000000000000000';
export const SANDBOX_API_SECRET = 'shpss_sandbox_webhook_secret_0000000';

export interface SignedWebhook {
  headers: Record<string, string>;
  rawBody: Buffer;
  body: unknown;
}

export class ShopifySandbox implements ConformanceSandbox {
  readonly data: ShopData;
  readonly shop: string;
  readonly accessToken: string;
  readonly apiSecret: string;
  readonly bucket: LeakyBucket;
  /** Queries answered THROTTLED so far. */
  throttled = 0;
  /** Points spent (actual cost) so far. */
  pointsSpent = 0;
  readonly bulk: BulkOperations;
  scopes: Set<string>;
  private server!: SandboxServer;
  private unregister: (() => void) | undefined;
  private readonly schema: GraphQLSchema;

  private constructor(private readonly options: ShopifySandboxOptions) {
    this.shop = options.shop ?? 'portrait-sandbox.myshopify.com';
    this.accessToken = options.accessToken ?? SANDBOX_ACCESS_TOKEN;
    this.apiSecret = options.apiSecret ?? SANDBOX_API_SECRET;
    this.data = new ShopData({ seed: options.seed ?? 29, customers: options.customers ?? 60, orders: options.orders ?? 180, population: options.population, lineItems: options.lineItems });
    const restoreRate = SHOPIFY_PLANS[options.plan ?? 'plus'];
    this.bucket = new LeakyBucket(restoreRate, restoreRate * 20, Date.now, options.initialPoints);
    this.schema = buildAdminSchema();
    this.bulk = new BulkOperations(this.schema, options.bulkRunMs ?? 30);
    const readAll = options.readAllOrders ?? true;
    this.scopes = new Set(options.scopes ?? ['read_customers', 'read_orders', 'read_returns', ...(readAll ? ['read_all_orders'] : [])]);
  }

  static async start(options: ShopifySandboxOptions = {}): Promise<ShopifySandbox> {
    const sandbox = new ShopifySandbox(options);
    sandbox.server = await createSandboxServer(
      {
        'POST /admin/api/:version/graphql.json': (request) => sandbox.graphql(request),
        [`GET ${BULK_STORAGE_PREFIX}:file`]: (request) => sandbox.download(request),
      },
      { faults: options.faults, host: options.host, port: options.port, seed: options.seed ?? 29 },
    );
    sandbox.unregister = registerSandboxShop(sandbox.shop, sandbox.server.url, (path) =>
      path.startsWith(BULK_STORAGE_PREFIX) ? sandbox.bulk.byToken(path.slice(BULK_STORAGE_PREFIX.length).replace(/-final$/, '')) !== undefined : false,
    );
    return sandbox;
  }

  get url(): string {
    return this.server.url;
  }

  get faults(): SandboxFaults {
    return this.server.faults;
  }

  get requests() {
    return this.server.requests;
  }

  get plan(): { restoreRate: number; maximumAvailable: number } {
    return { restoreRate: this.bucket.restoreRate, maximumAvailable: this.bucket.maximumAvailable };
  }

  /** Orders created at or after this time are visible without `read_all_orders`. */
  private ordersVisibleFrom(): string | undefined {
    if (this.scopes.has('read_all_orders')) return undefined;
    return new Date(Date.parse(this.data.clock.now()) - 60 * 86_400_000).toISOString();
  }

  /** The context of one request, made to the API version in its path. */
  private context(apiVersion: string = SANDBOX_API_VERSION): ExecutionContext {
    return {
      data: this.data,
      shop: { name: 'Portrait Sandbox Outfitters', domain: this.shop },
      scopes: this.scopes,
      ordersVisibleFrom: this.ordersVisibleFrom(),
      bulk: false,
      bulkOperation: (id?: string) => {
        const op = this.bulk.get(id);
        return op ? this.bulk.view(op) : null;
      },
      runBulkQuery: (query: string) => this.bulk.start(query, this.context(apiVersion), bulkQueryLimit(apiVersion)),
    };
  }

  private async graphql(request: SandboxRequest) {
    const forwardedHost = request.headers[SANDBOX_HOST_HEADER];
    if (forwardedHost && forwardedHost !== this.shop) return json({ errors: 'Not Found' }, 404);
    if (request.headers['x-shopify-access-token'] !== this.accessToken) {
      return json({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' }, 401);
    }
    const body = request.body as { query?: unknown; variables?: Record<string, unknown> } | undefined;
    if (!body || typeof body.query !== 'string') return json({ errors: { query: 'Required parameter missing or invalid' } }, 400);
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (error) {
      const e = error as GraphQLError;
      return json({ errors: [{ message: e.message, locations: e.locations }] });
    }
    const invalid = validate(this.schema, document);
    if (invalid.length) return json({ errors: invalid.map((e) => ({ ...shopifyValidationError(e.message), locations: e.locations })) });
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const variables = body.variables ?? {};
    const requested = requestedQueryCost(this.schema, document, operation, variables);
    if (requested > MAX_QUERY_COST) {
      return json({
        errors: [{ message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`, extensions: { code: 'MAX_COST_EXCEEDED', cost: requested, maxCost: MAX_QUERY_COST, documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
      });
    }
    if (!this.bucket.take(requested)) {
      this.throttled++;
      return json({
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: this.bucket.status() } },
      });
    }
    const result = await execute({ schema: this.schema, document, variableValues: variables, contextValue: this.context(request.params.version) });
    const data = result.data ? this.corruptNodes(result.data as Record<string, unknown>, request) : result.data;
    const actual = Math.min(requested, actualQueryCost(data));
    this.bucket.refund(requested - actual);
    this.pointsSpent += actual;
    const reply: Record<string, unknown> = { data };
    if (result.errors?.length) {
      reply.errors = result.errors.map((e) => ({ message: e.message, locations: e.locations, path: e.path, extensions: e.extensions }));
    }
    reply.extensions = { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: this.bucket.status() } };
    return json(reply);
  }

  /** Malformed-record faults hit the nodes of top-level connections, as a broken record would. */
  private corruptNodes(data: Record<string, unknown>, request: SandboxRequest): Record<string, unknown> {
    for (const key of ['customers', 'orders']) {
      const conn = data[key] as { nodes?: unknown[]; edges?: { node: unknown }[] } | undefined;
      if (!conn) continue;
      if (conn.nodes) conn.nodes = request.corrupt(conn.nodes);
      if (conn.edges) {
        const nodes = request.corrupt(conn.edges.map((e) => e.node));
        conn.edges = conn.edges.map((e, i) => ({ ...e, node: nodes[i] }));
      }
    }
    return data;
  }

  private async download(request: SandboxRequest) {
    const token = request.params.file!.replace(/-final$/, '');
    const op = this.bulk.byToken(token);
    if (!op?.file) return { status: 404, headers: { 'content-type': 'application/xml' }, body: '<Error><Code>NoSuchKey</Code></Error>' };
    const file = await readFile(op.file);
    if (!this.faults.rules.some((rule) => rule.kind === 'malformed')) return { status: 200, headers: { 'content-type': 'application/jsonl' }, body: file };
    const lines = file.toString('utf8').split('\n').filter(Boolean);
    // Root lines (no __parentId) go through the malformed-record faults.
    const roots = lines.map((l, i) => ({ l, i })).filter(({ l }) => !l.includes('"__parentId"'));
    const corrupted = request.corrupt(roots.map(({ l }) => JSON.parse(l) as unknown));
    roots.forEach(({ i }, n) => (lines[i] = JSON.stringify(corrupted[n])));
    return { status: 200, headers: { 'content-type': 'application/jsonl' }, body: lines.length ? `${lines.join('\n')}\n` : '' };
  }

  // ——— What tests do to the shop ———

  /**
   * Changes K customers, adds N orders and refunds R older ones; answers exactly which records changed:
   * `changedCustomers` are the K, `customers` also those whose totals (and so updatedAt) the orders moved.
   */
  change(options: { customers?: number; orders?: number; refunds?: number }): { changedCustomers: SandboxCustomer[]; customers: SandboxCustomer[]; orders: SandboxOrder[] } {
    this.data.takeTouched();
    const changedCustomers = this.data.changeCustomers(options.customers ?? 0);
    const orders = this.data.addOrders(options.orders ?? 0);
    for (let i = 0; i < (options.refunds ?? 0); i++) orders.push(this.data.refund(this.data.orders[i * 3]!));
    const customers = this.data.takeTouched().map((id) => this.data.customer(id)!);
    return { changedCustomers, customers, orders };
  }

  /**
   * Starts as many bulk query operations as a client of `apiVersion` may run at once (each RUNNING for
   * `bulkRunMs`): what the shop looks like while another process of the app exports it.
   */
  occupyBulkQueries(apiVersion: string): void {
    const ctx = this.context(apiVersion);
    for (let i = this.bulk.running().length; i < bulkQueryLimit(apiVersion); i++) {
      const { userErrors } = this.bulk.start('{ customers { edges { node { id } } } }', ctx, bulkQueryLimit(apiVersion));
      if (userErrors.length) throw new Error(userErrors[0]!.message);
    }
  }

  /** The conformance suite's change: 3 customers updated, 4 orders added and 1 refunded. */
  async mutate(): Promise<ConformanceMutation> {
    const changed = this.change({ customers: 3, orders: 4, refunds: 1 });
    return {
      touched: {
        customers: changed.customers.map((c) => gid('Customer', c.id)),
        orders: changed.orders.map((o) => gid('Order', o.id)),
      },
    };
  }

  /** A webhook delivery as Shopify sends it: JSON body, HMAC-SHA256 (base64) of the raw body with the app's secret. */
  webhook(topic: string, payload: unknown, options: { webhookId?: string; secret?: string } = {}): SignedWebhook {
    const rawBody = Buffer.from(JSON.stringify(payload));
    const hmac = createHmac('sha256', options.secret ?? this.apiSecret).update(rawBody).digest('base64');
    return {
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-hmac-sha256': hmac,
        'x-shopify-shop-domain': this.shop,
        'x-shopify-api-version': SANDBOX_API_VERSION,
        'x-shopify-webhook-id': options.webhookId ?? randomUUID(),
        'x-shopify-triggered-at': new Date().toISOString(),
        'x-shopify-event-id': randomUUID(),
      },
      rawBody,
      body: JSON.parse(rawBody.toString('utf8')) as unknown,
    };
  }

  customerWebhook(topic: 'customers/create' | 'customers/update', customer: SandboxCustomer, options?: { webhookId?: string; secret?: string }): SignedWebhook {
    return this.webhook(topic, customerWebhookPayload(customer, this.data), options);
  }

  orderWebhook(topic: 'orders/create' | 'orders/updated', order: SandboxOrder, options?: { webhookId?: string; secret?: string }): SignedWebhook {
    return this.webhook(topic, orderWebhookPayload(order, this.data), options);
  }

  refundWebhook(order: SandboxOrder, options?: { webhookId?: string }): SignedWebhook {
    return this.webhook('refunds/create', refundWebhookPayload(order, order.refunds.at(-1)!), options);
  }

  /** `customers/redact`: Shopify's mandatory compliance topic, 10 days after a customer asks to be forgotten. */
  redactWebhook(customer: SandboxCustomer, options?: { webhookId?: string }): SignedWebhook {
    const orders = this.data.orders.filter((o) => o.customerId === customer.id).map((o) => o.id);
    return this.webhook('customers/redact', { shop_id: 60_000_001, shop_domain: this.shop, customer: { id: customer.id, email: customer.email, phone: customer.phone }, orders_to_redact: orders }, options);
  }

  dataRequestWebhook(customer: SandboxCustomer, options?: { webhookId?: string }): SignedWebhook {
    const orders = this.data.orders.filter((o) => o.customerId === customer.id).map((o) => o.id);
    return this.webhook(
      'customers/data_request',
      { shop_id: 60_000_001, shop_domain: this.shop, orders_requested: orders, customer: { id: customer.id, email: customer.email, phone: customer.phone }, data_request: { id: 9_999 } },
      options,
    );
  }

  /** POSTs a signed delivery to a URL (Portrait's webhook endpoint), as Shopify does. */
  async deliver(url: string, delivery: SignedWebhook): Promise<Response> {
    return fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.rawBody });
  }

  async close(): Promise<void> {
    this.unregister?.();
    await this.server.close();
    await this.bulk.close();
  }
}

export { gid };

/**
 * graphql-js's validation messages in the words and codes of Shopify's GraphQL server (graphql-ruby),
 * for the mistakes a client makes most: an unknown field, an unknown argument, a missing argument.
 */
export function shopifyValidationError(message: string): { message: string; extensions: Record<string, unknown> } {
  let m = /^Cannot query field "(\w+)" on type "(\w+)"/.exec(message);
  if (m) return { message: `Field '${m[1]}' doesn't exist on type '${m[2]}'`, extensions: { code: 'undefinedField', typeName: m[2], fieldName: m[1] } };
  m = /^Unknown argument "(\w+)" on field "(\w+)\.(\w+)"/.exec(message);
  if (m) return { message: `Field '${m[3]}' doesn't accept argument '${m[1]}'`, extensions: { code: 'argumentNotAccepted', name: m[3], typeName: 'Field', argumentName: m[1] } };
  m = /^Field "(\w+)" argument "(\w+)" of type "[^"]+" is required, but it was not provided/.exec(message) ?? /^Argument "\w+\.(\w+)\((\w+):\)" of type "[^"]+" is required, but it was not provided/.exec(message);
  if (m) return { message: `Field '${m[1]}' is missing required arguments: ${m[2]}`, extensions: { code: 'missingRequiredArguments', className: 'Field', name: m[1], arguments: m[2] } };
  return { message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
}
