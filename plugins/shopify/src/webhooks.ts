import { InvalidRecordError, WebhookSignatureError, type ConnectorContext, type ProfileFact, type WebhookRequest, type WebhookResult } from '@portrait/connector-sdk';
import { CUSTOMER_FIELDS, customerFact, type CustomerNode } from './mappers/customer.mapper.js';
import { ORDER_FIELDS, orderFact, type OrderNode } from './mappers/order.mapper.js';
import type { ShopifyConfig } from './shopify.config.js';
import { completeLineItems } from './streams/orders.js';
import { createAdminClient, createShopify } from './transport/admin-client.js';

/**
 * Shopify's webhooks. The signature (`X-Shopify-Hmac-Sha256`, HMAC-SHA256 of the raw body with the
 * app's API secret) is checked by the SDK's own validation. A customer or order topic then reads that
 * record through the Admin API and maps it exactly as the streams do, so a webhook and the next sync
 * agree to the byte (REST webhook bodies lack what the GraphQL reads carry, e.g. product types).
 * The mandatory compliance topics become privacy requests for the engine to carry out.
 */


export const WEBHOOK_TOPICS = [
  'customers/create',
  'customers/update',
  'customers/delete',
  'orders/create',
  'orders/updated',
  'refunds/create',
  'customers/data_request',
  'customers/redact',
  'shop/redact',
] as const;

const OK = { status: 200 };

export async function parseShopifyWebhook(request: WebhookRequest, config: ShopifyConfig, ctx: ConnectorContext): Promise<WebhookResult> {
  if (!config.webhookSecret) throw new WebhookSignatureError("the source has no app API secret to verify Shopify's webhooks with");
  const shopify = createShopify(config);
  const validation = await shopify.webhooks.validate({
    rawBody: request.rawBody.toString('utf8'),
    // The node adapter reads the headers (and method, url) of the request it is given.
    rawRequest: { headers: request.headers, method: 'POST', url: '/' },
    rawResponse: {},
  } as never);
  if (!validation.valid) {
    throw new WebhookSignatureError(`the Shopify webhook does not verify (${validation.reason}${'missingHeaders' in validation ? `: ${validation.missingHeaders.join(', ')}` : ''})`);
  }
  if (validation.domain !== config.shop) throw new InvalidRecordError(`the webhook is for ${validation.domain}, not ${config.shop}`);
  const topic = request.headers['x-shopify-topic'] ?? '';
  const webhookId = validation.webhookId;
  const body = (request.body ?? JSON.parse(request.rawBody.toString('utf8'))) as Record<string, unknown>;
  const location = `webhook ${topic} ${webhookId}`;
  ctx.logger.debug({ topic, webhookId }, 'Shopify webhook verified');

  switch (topic) {
    case 'customers/create':
    case 'customers/update':
      return { facts: await readCustomer(String(body.admin_graphql_api_id ?? gidOf('Customer', body.id)), config, ctx, location), response: OK };
    case 'orders/create':
    case 'orders/updated':
      return { facts: await readOrder(String(body.admin_graphql_api_id ?? gidOf('Order', body.id)), config, ctx, location), response: OK };
    case 'refunds/create':
      return { facts: await readOrder(gidOf('Order', body.order_id), config, ctx, location), response: OK };
    case 'customers/delete':
      // Shopify deleted the account; Portrait keeps the person's history (erasure is customers/redact).
      return { facts: [], response: OK };
    case 'customers/redact':
    case 'customers/data_request': {
      const customer = (body.customer ?? {}) as { id?: unknown; email?: unknown; phone?: unknown };
      const identities = [
        customer.id !== undefined && customer.id !== null ? { type: 'shopify_customer_id', value: String(customer.id) } : undefined,
        typeof customer.email === 'string' && customer.email.trim() ? { type: 'email', value: customer.email.trim() } : undefined,
        typeof customer.phone === 'string' && customer.phone.trim() ? { type: 'phone', value: customer.phone.trim() } : undefined,
      ].filter((i): i is { type: string; value: string } => i !== undefined);
      if (identities.length === 0) throw new InvalidRecordError(`${topic} names no customer`, undefined, location);
      const reference = topic === 'customers/data_request' ? `shopify data request ${String((body.data_request as { id?: unknown } | undefined)?.id ?? webhookId)}` : `shopify ${topic} ${webhookId}`;
      return { facts: [], privacyRequests: [{ type: topic === 'customers/redact' ? 'erase' : 'export', identities, reference }], response: OK };
    }
    case 'shop/redact':
      // The shop uninstalled the app 48 hours ago: Portrait's data is the shop owner's own, kept until they delete the source.
      return { facts: [], response: OK };
    default:
      throw new InvalidRecordError(`the Shopify topic "${topic}" is not one the connector subscribes to (${WEBHOOK_TOPICS.join(', ')})`, undefined, location);
  }
}

function gidOf(type: string, id: unknown): string {
  if (typeof id !== 'number' && typeof id !== 'string') throw new InvalidRecordError(`the webhook body has no ${type} id`);
  return `gid://shopify/${type}/${id}`;
}

async function readCustomer(id: string, config: ShopifyConfig, ctx: ConnectorContext, location: string): Promise<ProfileFact[]> {
  const data = await createAdminClient(config, ctx).request<{ customer: CustomerNode | null }>(`query Customer($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`, { id });
  return data.customer ? [customerFact(data.customer, config.source, location)] : [];
}

async function readOrder(id: string, config: ShopifyConfig, ctx: ConnectorContext, location: string): Promise<ProfileFact[]> {
  const client = createAdminClient(config, ctx);
  const data = await client.request<{ order: OrderNode | null }>(`query Order($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id });
  if (!data.order) return [];
  await completeLineItems(data.order, client);
  return [orderFact(data.order, config.source, location)];
}
