import type { ConnectorContext, ReadMessage, ReadRequest } from '@portrait/connector-sdk';
import { CUSTOMER_FIELDS, customerFact, type CustomerNode } from '../mappers/customer.mapper.js';
import type { ShopifyConfig } from '../shopify.config.js';
import { createAdminClient } from '../transport/admin-client.js';
import { readResource, type ResourceStream } from './resource-stream.js';

/**
 * The `customers` stream. A customer costs 5 points in a paged query (itself, its default address,
 * its amount spent and its two consent states), so a page holds 199 of them: the most under
 * Shopify's 1,000-point limit for one query (2 + 199 × 5 = 997).
 */
export const CUSTOMERS_PAGE_SIZE = 199;

export function customersStream(config: ShopifyConfig): ResourceStream {
  return {
    connection: 'customers',
    pageSize: CUSTOMERS_PAGE_SIZE,
    fields: CUSTOMER_FIELDS,
    bulkFields: CUSTOMER_FIELDS,
    map: (node, location) => customerFact(node as unknown as CustomerNode, config.source, location),
  };
}

export function readCustomers(request: ReadRequest, config: ShopifyConfig, ctx: ConnectorContext): AsyncIterable<ReadMessage> {
  return readResource(customersStream(config), request, createAdminClient(config, ctx), ctx);
}
