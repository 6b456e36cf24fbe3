import type { ShopifyConfigInput } from '../src/shopify.config.js';
import type { ShopifySandbox } from '../src/sandbox/index.js';

/** A source configuration pointing at the sandbox shop (the SDK reaches it through its transport hook). */
export function sandboxConfig(sandbox: ShopifySandbox, overrides: Partial<ShopifyConfigInput> = {}): ShopifyConfigInput {
  return { shop: sandbox.shop, accessToken: sandbox.accessToken, webhookSecret: sandbox.apiSecret, allOrders: true, ...overrides };
}
