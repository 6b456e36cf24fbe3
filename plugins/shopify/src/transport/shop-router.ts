// The Node adapter first: the transport the router passes unrouted requests to is the one it installs.
import '@shopify/shopify-api/adapters/node';
import { abstractFetch, setAbstractFetchFunc } from '@shopify/shopify-api/runtime';

/**
 * Where `@shopify/shopify-api`'s requests go. The SDK sends every request through its runtime's
 * abstract fetch, always to `https://<shop>.myshopify.com` (it forces https), so a shop served by a
 * local Shopify-compatible server — a source's `adminApiOrigin`, or a sandbox — is reached through
 * that documented hook (`setAbstractFetchFunc`): a request matching a route goes to the route's origin
 * with its original host in the forwarding header; every other request goes out unchanged.
 */

/** The header carrying the host a rerouted request was addressed to (the shop's, or the storage's). */
export const FORWARDED_HOST_HEADER = 'x-forwarded-host';

export interface ShopRoute {
  /** `http://127.0.0.1:8443`: where matching requests go instead. */
  origin: string;
  /** The shop (`<name>.myshopify.com`) whose Admin API the route serves, when it serves one. */
  shop?: string;
  matches(url: URL): boolean;
  /** Taken only when no other route matches. */
  fallback?: boolean;
}

const routes: ShopRoute[] = [];
let passThrough: typeof fetch | undefined;

function urlOf(input: string | URL | Request): URL {
  return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
}

/** The same request, sent to `origin` (path and query kept) with the original host in the forwarding header. */
export function forwardTo(origin: string, input: string | URL | Request, init?: RequestInit): [URL, RequestInit] {
  const url = urlOf(input);
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set(FORWARDED_HOST_HEADER, url.hostname);
  return [new URL(`${url.pathname}${url.search}`, origin), { ...init, headers, method: init?.method ?? (input instanceof Request ? input.method : undefined) }];
}

function routedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = urlOf(input);
  const route = routes.findLast((r) => !r.fallback && r.matches(url)) ?? routes.findLast((r) => r.fallback && r.matches(url));
  if (!route) return passThrough!(input, init);
  return passThrough!(...forwardTo(route.origin, input, init));
}

/** Makes the router the SDK's transport (again, if something replaced it); unrouted requests use the transport it replaces. */
export function installShopRouter(): void {
  if (abstractFetch !== (routedFetch as unknown)) passThrough = abstractFetch as typeof fetch;
  setAbstractFetchFunc(routedFetch as never);
}

/** Adds a route (installing the router on first use); returns the function that removes it. */
export function addShopRoute(route: ShopRoute): () => void {
  if (!passThrough) installShopRouter();
  routes.push(route);
  return () => {
    const at = routes.indexOf(route);
    if (at >= 0) routes.splice(at, 1);
  };
}

/** Sends the Admin API requests of `shop` (`<name>.myshopify.com`) to `origin`; the latest route of a shop wins. */
export function routeShop(shop: string, origin: string): () => void {
  // The same route asked for again (each client of a source asks) is not added twice: it becomes the latest.
  const same = routes.find((r) => r.shop === shop && r.origin === origin);
  if (same) routes.splice(routes.indexOf(same), 1);
  return addShopRoute(same ?? { origin, shop, matches: (url) => url.hostname === shop });
}
