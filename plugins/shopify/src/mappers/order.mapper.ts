import { InvalidRecordError, validateFact, type FactEvent, type Identity, type ProfileFact } from '@portrait/connector-sdk';
import { money, numericId } from './shopify-values.js';

type Money = { shopMoney: { amount: string; currencyCode: string } } | null | undefined;

interface LineItemNode {
  id: string;
  title?: string | null;
  quantity?: number | null;
  originalUnitPriceSet?: Money;
  product?: { id: string; productType?: string | null } | null;
  variant?: { id: string } | null;
}

interface RefundNode {
  id: string;
  createdAt?: string | null;
  totalRefundedSet?: Money;
  refundLineItems?: { nodes: { quantity: number; subtotalSet?: Money; lineItem?: { id: string } | null }[] };
}

/** An order as the connector's queries select it; in bulk results, connections are rebuilt into `nodes`. */
export interface OrderNode {
  id: string;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  createdAt?: string | null;
  processedAt?: string | null;
  updatedAt?: string | null;
  cancelledAt?: string | null;
  cancelReason?: string | null;
  currencyCode?: string | null;
  totalPriceSet?: Money;
  totalDiscountsSet?: Money;
  discountCodes?: string[] | null;
  displayFinancialStatus?: string | null;
  displayFulfillmentStatus?: string | null;
  customer?: { id: string } | null;
  lineItems?: { nodes: LineItemNode[]; pageInfo?: { hasNextPage: boolean; endCursor?: string | null } };
  refunds?: RefundNode[] | null;
  returns?: { nodes: { id: string; name?: string | null; status?: string | null; createdAt?: string | null; totalQuantity?: number | null }[] };
}

const MONEY = 'shopMoney { amount currencyCode }';
const LINE_ITEM = `id title quantity originalUnitPriceSet { ${MONEY} } product { id productType } variant { id }`;
const ORDER_SCALARS = `
  id name email phone createdAt processedAt updatedAt cancelledAt cancelReason currencyCode
  totalPriceSet { ${MONEY} }
  totalDiscountsSet { ${MONEY} }
  discountCodes displayFinancialStatus displayFulfillmentStatus
  customer { id }`;

/**
 * Line items, refunds and returns per order read by a paged query: sized so that a page of orders
 * stays under Shopify's 1,000-point query limit (see `ORDERS_PAGE_SIZE`).
 */
export const PAGED_LINE_ITEMS = 10;
export const PAGED_REFUNDS = 3;
export const PAGED_REFUND_LINES = 5;
export const PAGED_RETURNS = 3;

/** The order selection of paged queries: nested connections with their sizes. */
export const ORDER_FIELDS = /* GraphQL */ `${ORDER_SCALARS}
  lineItems(first: ${PAGED_LINE_ITEMS}) { nodes { ${LINE_ITEM} } pageInfo { hasNextPage endCursor } }
  refunds(first: ${PAGED_REFUNDS}) { id createdAt totalRefundedSet { ${MONEY} } refundLineItems(first: ${PAGED_REFUND_LINES}) { nodes { quantity subtotalSet { ${MONEY} } lineItem { id } } } }
  returns(first: ${PAGED_RETURNS}) { nodes { id name status createdAt totalQuantity } }`;

/** The rest of an order's line items, when a paged query's first ones were not all of them. */
export const MORE_LINE_ITEMS_QUERY = /* GraphQL */ `query MoreLineItems($id: ID!, $after: String) {
  order(id: $id) { lineItems(first: 190, after: $after) { nodes { ${LINE_ITEM} } pageInfo { hasNextPage endCursor } } }
}`;

/** The order selection of bulk queries: connections without sizes, each node with its id for `__parentId`. */
export const BULK_ORDER_FIELDS = /* GraphQL */ `${ORDER_SCALARS}
  lineItems { edges { node { ${LINE_ITEM} } } }
  refunds { id createdAt totalRefundedSet { ${MONEY} } refundLineItems { edges { node { id quantity subtotalSet { ${MONEY} } lineItem { id } } } } }
  returns { edges { node { id name status createdAt totalQuantity } } }`;

const lower = (value: string | null | undefined) => (value ? value.toLowerCase() : null);

/**
 * One order → one fact of the buyer: `order_placed` (total, currency, discounts, line items,
 * statuses), `order_cancelled`, one `order_refunded` per refund and one `order_returned` per return,
 * each with a dedupe key from Shopify's ids so re-reads never double. A customer's order joins on
 * `shopify_customer_id`; a guest order on its e-mail or phone.
 */
export function orderFact(node: OrderNode, source: string, location: string): ProfileFact {
  const id = numericId(node?.id, 'Order');
  if (!id) throw new InvalidRecordError('the order has no Order id', node, location);
  if (!node.updatedAt || !node.createdAt || !node.totalPriceSet?.shopMoney) {
    throw new InvalidRecordError(`order ${node.name ?? id}: createdAt, updatedAt or totalPriceSet is missing`, node, location);
  }
  const identities: Identity[] = [];
  const customerId = numericId(node.customer?.id, 'Customer');
  if (customerId) identities.push({ type: 'shopify_customer_id', value: customerId });
  else {
    if (node.email?.trim()) identities.push({ type: 'email', value: node.email.trim() });
    if (node.phone?.trim()) identities.push({ type: 'phone', value: node.phone.trim() });
  }
  if (identities.length === 0) throw new InvalidRecordError(`order ${node.name ?? id}: a guest order without e-mail or phone cannot be joined to anyone`, node, location);

  const currency = node.totalPriceSet.shopMoney.currencyCode ?? node.currencyCode;
  const lineItems = node.lineItems?.nodes ?? [];
  const byLineId = new Map(lineItems.map((li) => [li.id, li]));
  const item = (li: LineItemNode) => ({
    line_item_id: li.id,
    product_id: li.product?.id ?? null,
    variant_id: li.variant?.id ?? null,
    product_type: li.product?.productType || null,
    title: li.title ?? null,
    quantity: li.quantity ?? 0,
    price: li.originalUnitPriceSet?.shopMoney ? money(li.originalUnitPriceSet.shopMoney.amount) : null,
  });
  const events: FactEvent[] = [
    {
      type: 'order_placed',
      occurredAt: node.processedAt ?? node.createdAt,
      dedupeKey: node.id,
      properties: {
        order_id: node.id,
        order_name: node.name ?? null,
        total: money(node.totalPriceSet.shopMoney.amount),
        currency,
        discount_total: node.totalDiscountsSet?.shopMoney ? money(node.totalDiscountsSet.shopMoney.amount) : 0,
        discount_codes: node.discountCodes ?? [],
        line_items: lineItems.map(item),
        financial_status: lower(node.displayFinancialStatus),
        fulfillment_status: lower(node.displayFulfillmentStatus),
      },
    },
  ];
  if (node.cancelledAt) {
    events.push({ type: 'order_cancelled', occurredAt: node.cancelledAt, dedupeKey: `${node.id}:cancelled`, properties: { order_id: node.id, reason: lower(node.cancelReason) } });
  }
  for (const refund of node.refunds ?? []) {
    if (!refund.totalRefundedSet?.shopMoney || !refund.createdAt) throw new InvalidRecordError(`order ${node.name ?? id}: refund ${refund.id} has no amount or date`, node, location);
    events.push({
      type: 'order_refunded',
      occurredAt: refund.createdAt,
      dedupeKey: refund.id,
      properties: {
        order_id: node.id,
        refund_id: refund.id,
        amount: money(refund.totalRefundedSet.shopMoney.amount),
        currency: refund.totalRefundedSet.shopMoney.currencyCode ?? currency,
        line_items: (refund.refundLineItems?.nodes ?? []).map((rl) => {
          const li = rl.lineItem ? byLineId.get(rl.lineItem.id) : undefined;
          return {
            line_item_id: rl.lineItem?.id ?? null,
            product_id: li?.product?.id ?? null,
            product_type: li?.product?.productType || null,
            title: li?.title ?? null,
            quantity: rl.quantity,
            amount: rl.subtotalSet?.shopMoney ? money(rl.subtotalSet.shopMoney.amount) : null,
          };
        }),
      },
    });
  }
  for (const ret of node.returns?.nodes ?? []) {
    events.push({
      type: 'order_returned',
      occurredAt: ret.createdAt ?? node.updatedAt,
      dedupeKey: ret.id,
      properties: { order_id: node.id, return_id: ret.id, name: ret.name ?? null, status: lower(ret.status), quantity: ret.totalQuantity ?? null },
    });
  }
  const validation = validateFact({ source, externalId: node.id, identities, events, observedAt: node.updatedAt });
  if (!validation.ok) throw new InvalidRecordError(`order ${node.name ?? id}: ${validation.reason}`, node, location);
  return validation.fact;
}

/**
 * Rebuilds nesting from a bulk result: lines with `__parentId` go back into their parent's
 * connection (`lineItems`, `returns`, an order's refund's `refundLineItems`), chosen by the child's gid type.
 */
export function attachBulkChild(root: Record<string, unknown>, child: Record<string, unknown>): boolean {
  const parentId = child.__parentId as string;
  const { __parentId: _parent, ...value } = child;
  const type = /^gid:\/\/shopify\/(\w+)\//.exec(String(value.id ?? ''))?.[1];
  const field = type === 'LineItem' ? 'lineItems' : type === 'Return' ? 'returns' : type === 'RefundLineItem' ? 'refundLineItems' : undefined;
  if (!field) return false;
  let parent: Record<string, unknown> | undefined;
  if (root.id === parentId) parent = root;
  else for (const refund of (root.refunds as Record<string, unknown>[] | undefined) ?? []) if (refund.id === parentId) parent = refund;
  if (!parent) return false;
  const connection = (parent[field] as { nodes: unknown[] } | undefined) ?? { nodes: [] };
  connection.nodes.push(value);
  parent[field] = connection;
  return true;
}
