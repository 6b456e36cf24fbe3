import { buildSchema, GraphQLError, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { gid, SHOP_CURRENCY, type SandboxCustomer, type SandboxOrder, type ShopData } from './shop-data.js';

/**
 * The subset of Shopify's GraphQL Admin API the connector reads, as SDL: the same type, field,
 * argument and enum names as the real schema (2026-07), so any valid query over the subset runs and
 * an invalid one gets graphql-js's errors in Shopify's envelope.
 */
export const ADMIN_SDL = /* GraphQL */ `
  scalar DateTime
  scalar Decimal
  scalar UnsignedInt64
  scalar URL

  interface Node { id: ID! }

  type Query {
    shop: Shop!
    currentAppInstallation: AppInstallation!
    customers(first: Int, after: String, last: Int, before: String, reverse: Boolean, sortKey: CustomerSortKeys, query: String): CustomerConnection!
    customer(id: ID!): Customer
    orders(first: Int, after: String, last: Int, before: String, reverse: Boolean, sortKey: OrderSortKeys, query: String): OrderConnection!
    order(id: ID!): Order
    currentBulkOperation(type: BulkOperationType): BulkOperation
    node(id: ID!): Node
  }

  type Mutation {
    bulkOperationRunQuery(query: String!, groupObjects: Boolean! = false): BulkOperationRunQueryPayload
  }

  type Shop implements Node { id: ID! name: String! myshopifyDomain: String! currencyCode: CurrencyCode! email: String! ianaTimezone: String! }
  type AppInstallation implements Node { id: ID! accessScopes: [AccessScope!]! }
  type AccessScope { handle: String! description: String! }

  enum CurrencyCode { USD EUR BRL GBP }
  enum CountryCode { US BR FR GB PT }

  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type MoneyV2 { amount: Decimal! currencyCode: CurrencyCode! }
  type MoneyBag { shopMoney: MoneyV2! presentmentMoney: MoneyV2! }

  enum CustomerSortKeys { CREATED_AT ID LOCATION NAME RELEVANCE UPDATED_AT }
  enum CustomerState { DECLINED DISABLED ENABLED INVITED }
  enum CustomerEmailMarketingState { INVALID NOT_SUBSCRIBED PENDING REDACTED SUBSCRIBED UNSUBSCRIBED }
  enum CustomerSmsMarketingState { NOT_SUBSCRIBED PENDING REDACTED SUBSCRIBED UNSUBSCRIBED }
  enum CustomerMarketingOptInLevel { CONFIRMED_OPT_IN SINGLE_OPT_IN UNKNOWN }
  type CustomerEmailMarketingConsentState { marketingState: CustomerEmailMarketingState! marketingOptInLevel: CustomerMarketingOptInLevel consentUpdatedAt: DateTime }
  type CustomerSmsMarketingConsentState { marketingState: CustomerSmsMarketingState! marketingOptInLevel: CustomerMarketingOptInLevel! consentUpdatedAt: DateTime }
  type MailingAddress implements Node { id: ID! address1: String city: String province: String provinceCode: String country: String countryCodeV2: CountryCode zip: String }

  type Customer implements Node {
    id: ID!
    legacyResourceId: UnsignedInt64!
    firstName: String
    lastName: String
    displayName: String!
    email: String
    phone: String
    state: CustomerState!
    tags: [String!]!
    verifiedEmail: Boolean!
    note: String
    createdAt: DateTime!
    updatedAt: DateTime!
    defaultAddress: MailingAddress
    amountSpent: MoneyV2!
    numberOfOrders: UnsignedInt64!
    emailMarketingConsent: CustomerEmailMarketingConsentState
    smsMarketingConsent: CustomerSmsMarketingConsentState
  }
  type CustomerEdge { cursor: String! node: Customer! }
  type CustomerConnection { edges: [CustomerEdge!]! nodes: [Customer!]! pageInfo: PageInfo! }

  enum OrderSortKeys { CREATED_AT CUSTOMER_NAME FINANCIAL_STATUS FULFILLMENT_STATUS ID ORDER_NUMBER PROCESSED_AT RELEVANCE TOTAL_PRICE UPDATED_AT }
  enum OrderCancelReason { CUSTOMER DECLINED FRAUD INVENTORY OTHER STAFF }
  enum OrderDisplayFinancialStatus { AUTHORIZED EXPIRED PAID PARTIALLY_PAID PARTIALLY_REFUNDED PENDING REFUNDED VOIDED }
  enum OrderDisplayFulfillmentStatus { FULFILLED IN_PROGRESS ON_HOLD OPEN PARTIALLY_FULFILLED PENDING_FULFILLMENT REQUEST_DECLINED RESTOCKED SCHEDULED UNFULFILLED }
  enum ReturnStatus { CANCELED CLOSED DECLINED OPEN REQUESTED }

  type Product implements Node { id: ID! title: String! productType: String! }
  type ProductVariant implements Node { id: ID! title: String! sku: String }
  type LineItem implements Node {
    id: ID!
    name: String!
    title: String!
    quantity: Int!
    sku: String
    originalUnitPriceSet: MoneyBag!
    product: Product
    variant: ProductVariant
  }
  type LineItemEdge { cursor: String! node: LineItem! }
  type LineItemConnection { edges: [LineItemEdge!]! nodes: [LineItem!]! pageInfo: PageInfo! }

  type RefundLineItem { id: ID lineItem: LineItem! quantity: Int! subtotalSet: MoneyBag! }
  type RefundLineItemEdge { cursor: String! node: RefundLineItem! }
  type RefundLineItemConnection { edges: [RefundLineItemEdge!]! nodes: [RefundLineItem!]! pageInfo: PageInfo! }
  type Refund implements Node {
    id: ID!
    createdAt: DateTime
    note: String
    totalRefundedSet: MoneyBag!
    refundLineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean): RefundLineItemConnection!
  }

  type Return implements Node { id: ID! name: String! status: ReturnStatus! totalQuantity: Int! createdAt: DateTime! closedAt: DateTime }
  type ReturnEdge { cursor: String! node: Return! }
  type ReturnConnection { edges: [ReturnEdge!]! nodes: [Return!]! pageInfo: PageInfo! }

  type Order implements Node {
    id: ID!
    legacyResourceId: UnsignedInt64!
    name: String!
    email: String
    phone: String
    createdAt: DateTime!
    processedAt: DateTime!
    updatedAt: DateTime!
    cancelledAt: DateTime
    cancelReason: OrderCancelReason
    currencyCode: CurrencyCode!
    subtotalPriceSet: MoneyBag
    totalDiscountsSet: MoneyBag
    totalPriceSet: MoneyBag!
    discountCodes: [String!]!
    displayFinancialStatus: OrderDisplayFinancialStatus
    displayFulfillmentStatus: OrderDisplayFulfillmentStatus!
    customer: Customer
    lineItems(first: Int, after: String, last: Int, before: String, reverse: Boolean): LineItemConnection!
    refunds(first: Int): [Refund!]!
    returns(first: Int, after: String, last: Int, before: String, reverse: Boolean): ReturnConnection!
  }
  type OrderEdge { cursor: String! node: Order! }
  type OrderConnection { edges: [OrderEdge!]! nodes: [Order!]! pageInfo: PageInfo! }

  enum BulkOperationType { QUERY MUTATION }
  enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
  enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
  enum BulkOperationUserErrorCode { INVALID OPERATION_IN_PROGRESS }
  type BulkOperation implements Node {
    id: ID!
    status: BulkOperationStatus!
    errorCode: BulkOperationErrorCode
    createdAt: DateTime!
    completedAt: DateTime
    objectCount: UnsignedInt64!
    rootObjectCount: UnsignedInt64!
    fileSize: UnsignedInt64
    url: URL
    partialDataUrl: URL
    query: String!
    type: BulkOperationType!
  }
  type BulkOperationUserError { field: [String!] message: String! code: BulkOperationUserErrorCode }
  type BulkOperationRunQueryPayload { bulkOperation: BulkOperation userErrors: [BulkOperationUserError!]! }
`;

/** What one execution knows: the shop's data and the caller's scopes; `bulk` lifts the pagination rules. */
export interface ExecutionContext {
  data: ShopData;
  shop: { name: string; domain: string };
  scopes: ReadonlySet<string>;
  /** Only orders created on or after this time are visible (no `read_all_orders`: the last 60 days). */
  ordersVisibleFrom: string | undefined;
  bulk: boolean;
  /** Resolves the bulk operation object of `node(id:)` / `currentBulkOperation`. */
  bulkOperation(id?: string): unknown;
  runBulkQuery(query: string): unknown;
  /** A fixed snapshot of the records a bulk run reads (absent outside bulk runs). */
  snapshot?: { customers: SandboxCustomer[]; orders: SandboxOrder[] };
}

const money = (amount: string) => ({ amount, currencyCode: SHOP_CURRENCY });
const bag = (amount: string) => ({ shopMoney: money(amount), presentmentMoney: money(amount) });

function requireScope(ctx: ExecutionContext, scope: string, field: string): void {
  if (!ctx.scopes.has(scope)) {
    throw new GraphQLError(`Access denied for ${field} field. Required access: \`${scope}\` access scope.`, {
      extensions: { code: 'ACCESS_DENIED', documentation: 'https://shopify.dev/api/usage/access-scopes', requiredAccess: `\`${scope}\` access scope.` },
    });
  }
}

interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  reverse?: boolean | null;
  sortKey?: string | null;
  query?: string | null;
}

/** Shopify's cursors: base64 of the last node's id and sort value. */
export function encodeCursor(id: number, value: string | number): string {
  return Buffer.from(JSON.stringify({ last_id: id, last_value: value })).toString('base64');
}

function decodeCursor(cursor: string): { last_id: number; last_value: string | number } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { last_id: number; last_value: string | number };
    if (typeof parsed.last_id !== 'number') throw new Error('no id');
    return parsed;
  } catch {
    throw new GraphQLError('Invalid cursor for current pagination sort.', { extensions: { code: 'BAD_REQUEST' } });
  }
}

/** `first`/`last` are required outside bulk runs (Shopify: "you must provide one of first or last"), at most 250. */
function pageSize(args: ConnectionArgs, bulk: boolean): number | undefined {
  if (bulk) return undefined;
  const size = args.first ?? args.last;
  if (size === undefined || size === null) throw new GraphQLError('you must provide one of first or last', { extensions: { code: 'BAD_REQUEST' } });
  if (size < 0 || size > 250) throw new GraphQLError(`The value of first or last must be within 0-250. The value provided was ${size}.`, { extensions: { code: 'BAD_REQUEST' } });
  return size;
}

/** Connections over an in-memory list: filter, sort by the sort key then id, slice after the cursor. */
export function connection<T extends { id: number }>(items: readonly T[], args: ConnectionArgs, bulk: boolean, sortValue: (item: T) => string | number, toNode: (item: T) => unknown = (x) => x) {
  const size = pageSize(args, bulk);
  const reverse = Boolean(args.reverse) !== Boolean(args.last);
  const compare = (a: { v: string | number; id: number }, b: { v: string | number; id: number }) => (a.v < b.v ? -1 : a.v > b.v ? 1 : a.id - b.id);
  let rows = items.map((item) => ({ item, v: sortValue(item), id: item.id }));
  rows.sort((a, b) => (reverse ? -compare(a, b) : compare(a, b)));
  const cursor = args.after ?? args.before;
  if (cursor) {
    const { last_id, last_value } = decodeCursor(cursor);
    const at = { v: last_value, id: last_id };
    rows = rows.filter((row) => (reverse ? compare(row, at) < 0 : compare(row, at) > 0));
  }
  const page = size === undefined ? rows : rows.slice(0, size);
  const edges = page.map((row) => ({ cursor: encodeCursor(row.id, row.v), node: toNode(row.item) }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      hasNextPage: page.length < rows.length,
      hasPreviousPage: Boolean(cursor),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/**
 * Shopify's search syntax, for the terms the sandbox filters on: `updated_at:>'2026-01-01T00:00:00Z'`,
 * `created_at:>=…`, joined by spaces or AND. Unknown terms are ignored, as Shopify does.
 */
export function searchFilter(query: string | null | undefined): (record: { updatedAt: string; createdAt: string }) => boolean {
  if (!query?.trim()) return () => true;
  const tests: ((record: { updatedAt: string; createdAt: string }) => boolean)[] = [];
  const term = /(updated_at|created_at):(<=|>=|<|>)?\s*(?:'([^']*)'|"([^"]*)"|(\S+))/g;
  for (const match of query.matchAll(term)) {
    const field = match[1] === 'updated_at' ? 'updatedAt' : 'createdAt';
    const op = match[2] ?? '=';
    const raw = match[3] ?? match[4] ?? match[5] ?? '';
    const at = Date.parse(raw);
    if (Number.isNaN(at)) continue;
    tests.push((record) => {
      const value = Date.parse(record[field]);
      switch (op) {
        case '>':
          return value > at;
        case '>=':
          return value >= at;
        case '<':
          return value < at;
        case '<=':
          return value <= at;
        default:
          return value === at;
      }
    });
  }
  return (record) => tests.every((t) => t(record));
}

function parseGid(id: string): { type: string; id: number } | undefined {
  const match = /^gid:\/\/shopify\/(\w+)\/(\d+)$/.exec(id);
  return match ? { type: match[1]!, id: Number(match[2]) } : undefined;
}

/** A field resolver: the parent's value, the field's arguments (typed per field), the execution context. */
type Resolver<S> = (source: S, args: never, ctx: ExecutionContext) => unknown;
type LineItemSource = { item: SandboxOrder['lineItems'][number] };
interface Resolvers {
  Query: Record<string, Resolver<unknown>>;
  Mutation: Record<string, Resolver<unknown>>;
  Customer: Record<string, Resolver<{ record: SandboxCustomer }>>;
  Order: Record<string, Resolver<{ record: SandboxOrder }>>;
  LineItem: Record<string, Resolver<LineItemSource>>;
  Refund: Record<string, Resolver<{ refund: SandboxOrder['refunds'][number]; order: SandboxOrder }>>;
  Return: Record<string, Resolver<SandboxOrder['returns'][number]>>;
}

function customerNode(c: SandboxCustomer) {
  return { __typename: 'Customer', record: c };
}

function orderNode(o: SandboxOrder) {
  return { __typename: 'Order', record: o };
}

function visibleOrders(ctx: ExecutionContext): SandboxOrder[] {
  const orders = ctx.snapshot?.orders ?? ctx.data.orders;
  const from = ctx.ordersVisibleFrom;
  return from ? orders.filter((o) => o.createdAt >= from) : orders;
}

const RESOLVERS: Resolvers = {
  Query: {
    shop: (_s, _a, ctx) => ({ id: gid('Shop', 60_000_001), name: ctx.shop.name, myshopifyDomain: ctx.shop.domain, currencyCode: SHOP_CURRENCY, email: `owner@${ctx.shop.domain}`, ianaTimezone: 'America/New_York' }),
    currentAppInstallation: (_s, _a, ctx) => ({ id: gid('AppInstallation', 1), accessScopes: [...ctx.scopes].map((handle) => ({ handle, description: handle })) }),
    customers: (_s, args: ConnectionArgs, ctx) => {
      requireScope(ctx, 'read_customers', 'customers');
      const filter = searchFilter(args.query);
      const items = (ctx.snapshot?.customers ?? ctx.data.customers).filter(filter);
      return connection(items, args, ctx.bulk, sortBy(args.sortKey, 'customer'), customerNode);
    },
    customer: (_s, args: { id: string }, ctx) => {
      requireScope(ctx, 'read_customers', 'customer');
      const ref = parseGid(args.id);
      const c = ref?.type === 'Customer' ? ctx.data.customer(ref.id) : undefined;
      return c ? customerNode(c) : null;
    },
    orders: (_s, args: ConnectionArgs, ctx) => {
      requireScope(ctx, 'read_orders', 'orders');
      const filter = searchFilter(args.query);
      return connection(visibleOrders(ctx).filter(filter), args, ctx.bulk, sortBy(args.sortKey, 'order'), orderNode);
    },
    order: (_s, args: { id: string }, ctx) => {
      requireScope(ctx, 'read_orders', 'order');
      const ref = parseGid(args.id);
      const o = ref?.type === 'Order' ? ctx.data.order(ref.id) : undefined;
      return o && (!ctx.ordersVisibleFrom || o.createdAt >= ctx.ordersVisibleFrom) ? orderNode(o) : null;
    },
    currentBulkOperation: (_s, _a, ctx) => ctx.bulkOperation(),
    node: (_s, args: { id: string }, ctx) => {
      const ref = parseGid(args.id);
      if (ref?.type === 'BulkOperation') return ctx.bulkOperation(args.id);
      if (ref?.type === 'Customer') return RESOLVERS.Query.customer!(undefined, args as never, ctx);
      if (ref?.type === 'Order') return RESOLVERS.Query.order!(undefined, args as never, ctx);
      return null;
    },
  },
  Mutation: {
    bulkOperationRunQuery: (_s, args: { query: string }, ctx) => ctx.runBulkQuery(args.query),
  },
  Customer: {
    id: ({ record }) => gid('Customer', record.id),
    legacyResourceId: ({ record }) => String(record.id),
    firstName: ({ record }) => record.firstName,
    lastName: ({ record }) => record.lastName,
    displayName: ({ record }) => [record.firstName, record.lastName].filter(Boolean).join(' ') || record.email || record.phone || '',
    email: ({ record }) => record.email,
    phone: ({ record }) => record.phone,
    state: ({ record }) => record.state,
    tags: ({ record }) => record.tags,
    verifiedEmail: ({ record }) => record.verifiedEmail,
    note: ({ record }) => record.note,
    createdAt: ({ record }) => record.createdAt,
    updatedAt: ({ record }) => record.updatedAt,
    defaultAddress: ({ record }) =>
      record.address && {
        id: `${gid('MailingAddress', record.address.id)}?model_name=CustomerAddress`,
        address1: null,
        city: record.address.city,
        province: record.address.province,
        provinceCode: record.address.provinceCode,
        country: record.address.country,
        countryCodeV2: record.address.countryCode,
        zip: record.address.zip,
      },
    amountSpent: ({ record }, _a, ctx) => money(ctx.data.customerTotals(record.id).amountSpent),
    numberOfOrders: ({ record }, _a, ctx) => String(ctx.data.customerTotals(record.id).numberOfOrders),
    emailMarketingConsent: ({ record }) =>
      record.emailConsent && { marketingState: record.emailConsent.state, marketingOptInLevel: record.emailConsent.optInLevel, consentUpdatedAt: record.emailConsent.updatedAt },
    smsMarketingConsent: ({ record }) =>
      record.smsConsent && { marketingState: record.smsConsent.state, marketingOptInLevel: record.smsConsent.optInLevel, consentUpdatedAt: record.smsConsent.updatedAt },
  },
  Order: {
    id: ({ record }) => gid('Order', record.id),
    legacyResourceId: ({ record }) => String(record.id),
    name: ({ record }) => `#${record.number}`,
    email: ({ record }) => record.email,
    phone: ({ record }) => record.phone,
    createdAt: ({ record }) => record.createdAt,
    processedAt: ({ record }) => record.processedAt,
    updatedAt: ({ record }) => record.updatedAt,
    cancelledAt: ({ record }) => record.cancelledAt,
    cancelReason: ({ record }) => record.cancelReason,
    currencyCode: () => SHOP_CURRENCY,
    subtotalPriceSet: ({ record }) => bag(record.subtotal),
    totalDiscountsSet: ({ record }) => bag(record.discount),
    totalPriceSet: ({ record }) => bag(record.total),
    discountCodes: ({ record }) => record.discountCodes,
    displayFinancialStatus: ({ record }) => record.financialStatus,
    displayFulfillmentStatus: ({ record }) => record.fulfillmentStatus,
    customer: ({ record }, _a, ctx) => {
      if (record.customerId === null) return null;
      const c = ctx.data.customer(record.customerId);
      return c ? customerNode(c) : null;
    },
    lineItems: ({ record }, args: ConnectionArgs, ctx) => connection(record.lineItems, args, ctx.bulk, (li) => li.id, (li) => ({ __typename: 'LineItem', item: li })),
    refunds: ({ record }, args: { first?: number | null }) => record.refunds.slice(0, args.first ?? undefined).map((refund: SandboxOrder["refunds"][number]) => ({ refund, order: record })),
    returns: ({ record }, args: ConnectionArgs, ctx) => connection(record.returns, args, ctx.bulk, (r) => r.id, (r) => r),
  },
  LineItem: {
    id: ({ item }) => gid('LineItem', item.id),
    name: ({ item }) => item.title,
    title: ({ item }) => item.title,
    quantity: ({ item }) => item.quantity,
    sku: ({ item }) => item.sku,
    originalUnitPriceSet: ({ item }) => bag(item.price),
    product: ({ item }) => ({ id: gid('Product', item.productId), title: item.title, productType: item.productType }),
    variant: ({ item }) => ({ id: gid('ProductVariant', item.variantId), title: 'Default Title', sku: item.sku }),
  },
  Refund: {
    id: ({ refund }) => gid('Refund', refund.id),
    createdAt: ({ refund }) => refund.createdAt,
    note: () => null,
    totalRefundedSet: ({ refund }) => bag(refund.amount),
    refundLineItems: ({ refund, order }, args: ConnectionArgs, ctx) =>
      connection(refund.lineItems as SandboxRefundLine[], args, ctx.bulk, (l) => l.id, (l) => ({
        id: gid('RefundLineItem', l.id),
        quantity: l.quantity,
        subtotalSet: bag(l.subtotal),
        lineItem: { __typename: 'LineItem', item: (order as SandboxOrder).lineItems.find((li) => li.id === l.lineItemId) },
      })),
  },
  Return: {
    id: (r) => gid('Return', r.id),
  },
};

type SandboxRefundLine = SandboxOrder['refunds'][number]['lineItems'][number];

type Sortable = { id: number; updatedAt: string; createdAt: string; number?: number };

function sortBy(sortKey: string | null | undefined, kind: 'customer' | 'order'): (item: Sortable) => string | number {
  switch (sortKey) {
    case 'UPDATED_AT':
      return (item) => item.updatedAt;
    case 'CREATED_AT':
    case 'PROCESSED_AT':
      return (item) => item.createdAt;
    case 'ORDER_NUMBER':
      return (item) => (kind === 'order' ? (item.number ?? item.id) : item.id);
    default:
      return (item) => item.id;
  }
}

/** The schema with the sandbox's resolvers attached. */
export function buildAdminSchema(): GraphQLSchema {
  const schema = buildSchema(ADMIN_SDL);
  for (const [typeName, fields] of Object.entries(RESOLVERS) as [string, Record<string, Resolver<never>>][]) {
    const type = schema.getType(typeName) as GraphQLObjectType;
    const defs = type.getFields();
    for (const [field, resolve] of Object.entries(fields)) {
      if (!defs[field]) throw new Error(`sandbox schema: ${typeName}.${field} is not in the SDL`);
      defs[field].resolve = resolve as unknown as GraphQLFieldResolver<unknown, ExecutionContext>;
    }
  }
  return schema;
}
