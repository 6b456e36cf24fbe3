import { isLoopbackOrigin, SOURCE_ID } from '@portrait/connector-sdk';
import { z } from 'zod';

/** Configuration of a Shopify source: the shop, its Admin API token, the app's secret for webhooks. */

export const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$/;

export const shopifyConfigSchema = z.object({
  /** The source id written on every fact. */
  source: z.string().regex(SOURCE_ID, 'must be a lower-case source id, e.g. shopify').default('shopify'),
  shop: z
    .string()
    .trim()
    .toLowerCase()
    .transform((value) => value.replace(/^https?:\/\//, '').replace(/\/.*$/, ''))
    .pipe(z.string().regex(SHOP_DOMAIN, "must be the shop's myshopify.com domain, e.g. acme.myshopify.com (not a custom domain)"))
    .describe("The shop's permanent domain, e.g. acme.myshopify.com (Settings → Domains in Shopify's admin)."),
  accessToken: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .describe('Admin API access token of a custom app (shpat_…), with the read_customers, read_orders and read_returns scopes.'),
  webhookSecret: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .optional()
    .describe("The app's API secret key: Shopify signs webhooks with it (X-Shopify-Hmac-Sha256). Needed to receive webhooks."),
  startDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date, YYYY-MM-DD')
    .optional()
    .describe('Only orders created on or after this date are read (customers are all read).'),
  allOrders: z
    .boolean()
    .default(false)
    .describe(
      "Read orders older than 60 days. Needs the read_all_orders scope, which Shopify grants on request; without it Shopify returns only the last 60 days of orders.",
    ),
  adminApiOrigin: z
    .string()
    .trim()
    .refine((value) => value === '' || isLoopbackOrigin(value), 'must be the origin of a server on this machine, e.g. http://127.0.0.1:8443 (or empty for Shopify)')
    .transform((value) => (value === '' ? undefined : new URL(value).origin))
    .optional()
    .describe(
      "For a local Shopify-compatible server such as the sandbox: its origin (http://127.0.0.1:<port>), to which the shop's Admin API requests and bulk result downloads are sent. Leave empty for Shopify.",
    ),
});


export type ShopifyConfig = z.infer<typeof shopifyConfigSchema>;
export type ShopifyConfigInput = z.input<typeof shopifyConfigSchema>;

/** Scopes every sync needs; `read_all_orders` is added when `allOrders` is on. */
export function requiredScopes(config: Pick<ShopifyConfig, 'allOrders'>): string[] {
  return ['read_customers', 'read_orders', 'read_returns', ...(config.allOrders ? ['read_all_orders'] : [])];
}
