import { addShopRoute, FORWARDED_HOST_HEADER, installShopRouter, routeShop } from '../transport/shop-router.js';
import { BULK_STORAGE_HOST } from './bulk-operations.js';

/**
 * Points the unmodified `@shopify/shopify-api` at local sandboxes through the connector's shop router
 * (`transport/shop-router.ts`, the SDK's own transport hook): a request to
 * `https://<shop>.myshopify.com/...` of a registered shop — or to the bulk result storage, for a file
 * of that sandbox — goes to that sandbox's `http://127.0.0.1:<port>`, with the shop's host in the
 * forwarding header. Any other `*.myshopify.com` goes to the latest sandbox, which answers 404 for a
 * shop it is not (an unknown shop); everything else is fetched as usual. A process without this
 * registration (a worker) reaches a sandbox through the source's `adminApiOrigin` instead.
 */

export const SANDBOX_HOST_HEADER = FORWARDED_HOST_HEADER;

/** Routes the shop's API host to the sandbox at `baseUrl`; returns the function that removes the routes. */
export function registerSandboxShop(shop: string, baseUrl: string, ownsFile: (path: string) => boolean = () => false): () => void {
  const removers = [
    routeShop(shop, baseUrl),
    addShopRoute({ origin: baseUrl, matches: (url) => url.hostname === BULK_STORAGE_HOST && ownsFile(url.pathname) }),
    addShopRoute({ origin: baseUrl, fallback: true, matches: (url) => url.hostname.endsWith('.myshopify.com') }),
  ];
  return () => removers.forEach((remove) => remove());
}

/** (Re)installs the routing as the SDK's transport (after something else replaced it). */
export function installSandboxTransport(): void {
  installShopRouter();
}
