import type { ConnectorContext, ReadMessage, ReadRequest } from '@portrait/connector-sdk';
import { attachBulkChild, BULK_ORDER_FIELDS, MORE_LINE_ITEMS_QUERY, ORDER_FIELDS, orderFact, type OrderNode } from '../mappers/order.mapper.js';
import type { ShopifyConfig } from '../shopify.config.js';
import { createAdminClient, type AdminClient } from '../transport/admin-client.js';
import { readResource, type ResourceStream } from './resource-stream.js';

/**
 * The `orders` stream: orders with their line items, refunds and returns. An order with up to 10
 * line items, 3 refunds (5 lines each) and 3 returns costs 138 points in a paged query, so a page
 * holds 7 (2 + 7 × 138 = 968 of the 1,000-point limit); an order with more line items gets the rest
 * by a query of its own. The first sync reads them all through a bulk operation, which has no such limit.
 */
export const ORDERS_PAGE_SIZE = 7;

export function ordersStream(config: ShopifyConfig): ResourceStream {
  return {
    connection: 'orders',
    pageSize: ORDERS_PAGE_SIZE,
    fields: ORDER_FIELDS,
    bulkFields: BULK_ORDER_FIELDS,
    filter: config.startDate ? `created_at:>='${config.startDate}T00:00:00Z'` : undefined,
    attach: attachBulkChild,
    complete: (node, client) => completeLineItems(node as unknown as OrderNode, client),
    map: (node, location) => orderFact(node as unknown as OrderNode, config.source, location),
  };
}

export function readOrders(request: ReadRequest, config: ShopifyConfig, ctx: ConnectorContext): AsyncIterable<ReadMessage> {
  return readResource(ordersStream(config), request, createAdminClient(config, ctx), ctx);
}

/** Reads the line items a paged query left out (more than its first page), into the node. */
export async function completeLineItems(order: OrderNode, client: AdminClient): Promise<void> {
  let page = order.lineItems?.pageInfo;
  while (order.lineItems && page?.hasNextPage && page.endCursor) {
    const data = await client.request<{ order: OrderNode | null }>(MORE_LINE_ITEMS_QUERY, { id: order.id, after: page.endCursor });
    const more = data.order?.lineItems;
    if (!more) break;
    order.lineItems.nodes.push(...more.nodes);
    page = more.pageInfo;
  }
}
