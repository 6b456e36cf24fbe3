import { defineConnector } from '@portrait/connector-sdk';
import { checkShopifySource } from './shopify-check.js';
import { shopifyConfigSchema, type ShopifyConfig } from './shopify.config.js';
import { readCustomers } from './streams/customers.js';
import { readOrders } from './streams/orders.js';
import { parseShopifyWebhook } from './webhooks.js';

const ICON =
  'data:image/svg+xml;utf8,<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="%2395BF47" d="M15.3 3.4l-1 .3c-.6-1.7-1.6-2.3-2.5-2.3h-.1C11.4.9 10.9.7 10.5.7 7.4.7 5.9 4.6 5.4 6.6l-2.2.7c-.7.2-.7.2-.8.9L.7 21.4 14.6 24 22 22.4 19 3.2c-.1-.2-3.7-.8-3.7.2z"/></svg>';

/**
 * Shopify: customers, orders, refunds and returns through the GraphQL Admin API
 * (`@shopify/shopify-api`, pinned API version), with webhooks and Shopify's compliance topics.
 */
export const connector = defineConnector<ShopifyConfig>({
  manifest: {
    id: 'shopify',
    name: 'Shopify',
    version: '0.1.0',
    description:
      'Customers (identities, traits, marketing consent), orders, refunds and returns from a Shopify shop, through the GraphQL Admin API, kept current by webhooks.',
    icon: ICON,
    kind: 'source',
    configSchema: shopifyConfigSchema,
    secretFields: ['accessToken', 'webhookSecret'],
    streams: [
      {
        name: 'customers',
        description: 'Customers: shopify_customer_id, e-mail and phone; names, address, state, tags, amount spent, number of orders; e-mail and SMS marketing consent.',
        primaryKey: ['id'],
        cursorField: 'updatedAt',
        syncModes: ['full', 'incremental'],
      },
      {
        name: 'orders',
        description: 'Orders as order_placed and order_cancelled events, refunds as order_refunded, returns as order_returned; guest orders join by e-mail or phone.',
        primaryKey: ['id'],
        cursorField: 'updatedAt',
        syncModes: ['full', 'incremental'],
      },
    ],
    defaultSchedule: '*/30 * * * *',
    capabilities: { webhooks: true },
  },
  check: (config, ctx) => checkShopifySource(config, ctx),
  read(request, config, ctx) {
    if (request.stream === 'customers') return readCustomers(request, config, ctx);
    if (request.stream === 'orders') return readOrders(request, config, ctx);
    throw new Error(`the shopify connector has no stream "${request.stream}"`);
  },
  parseWebhook: (request, config, ctx) => parseShopifyWebhook(request, config, ctx),
});

export default connector;
export type { ShopifyConfig, ShopifyConfigInput } from './shopify.config.js';
