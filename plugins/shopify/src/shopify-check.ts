import { isConnectorError, type CheckResult, type ConnectorContext } from '@portrait/connector-sdk';
import { requiredScopes, type ShopifyConfig } from './shopify.config.js';
import { createAdminClient } from './transport/admin-client.js';

/**
 * "Test connection": one cheap query (`shop { name }` and the token's access scopes, 2 points).
 * A refused token (401), an unknown shop (404) and a missing scope each get their own reason.
 */
export async function checkShopifySource(config: ShopifyConfig, ctx: ConnectorContext): Promise<CheckResult> {
  const client = createAdminClient(config, ctx);
  try {
    const data = await client.request<{ shop: { name: string }; currentAppInstallation: { accessScopes: { handle: string }[] } }>(
      `query Check { shop { name } currentAppInstallation { accessScopes { handle } } }`,
    );
    const granted = new Set(data.currentAppInstallation.accessScopes.map((s) => s.handle));
    const missing = requiredScopes(config).filter((scope) => !granted.has(scope));
    if (missing.includes('read_all_orders')) {
      return {
        ok: false,
        reason: `"All orders" is on but the app's token lacks the read_all_orders scope: without it Shopify returns only the last 60 days of orders. Request read_all_orders for the app in ${config.shop}'s admin, or turn "All orders" off.`,
      };
    }
    if (missing.length) {
      return { ok: false, reason: `The app's token for ${data.shop.name} lacks the ${missing.join(', ')} scope${missing.length > 1 ? 's' : ''}: add ${missing.length > 1 ? 'them' : 'it'} to the app's Admin API access scopes and reinstall the app.` };
    }
    return { ok: true };
  } catch (error) {
    if (isConnectorError(error)) return { ok: false, reason: error.message };
    throw error;
  }
}
