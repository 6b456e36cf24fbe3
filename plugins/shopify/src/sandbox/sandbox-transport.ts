import { setAbstractFetchFunc } from '@shopify/shopify-api/runtime';
import { BULK_STORAGE_HOST } from './bulk-operations.js';

/**
 * Points the unmodified `@shopify/shopify-api` at local sandboxes through its own transport hook, the
 * runtime's abstract fetch (`setAbstractFetchFunc`, as Shopify's own tests do): a request to
 * `https://<shop>.myshopify.com/...` of a registered shop — or to the bulk result storage, for a file
 * of that sandbox — goes to that sandbox's `http://127.0.0.1:<port>`, with the shop's host in a forwarding header. Any other
 * `*.myshopify.com` goes to the latest sandbox, which answers 404 for a shop it is not (an unknown
 * shop); everything else is fetched as usual.
 */

export const SANDBOX_HOST_HEADER = 'x-forwarded-host';

const shops = new Map<string, string>();
/** Per sandbox base URL: whether a bulk result path is one of its files. */
const storage = new Map<string, (path: string) => boolean>();
let installed = false;
const realFetch: typeof fetch = globalThis.fetch.bind(globalThis);

function sandboxFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  let target: string | undefined;
  if (url.hostname.endsWith('.myshopify.com')) target = shops.get(url.hostname) ?? [...shops.values()].at(-1);
  else if (url.hostname === BULK_STORAGE_HOST) target = [...storage.entries()].find(([, owns]) => owns(url.pathname))?.[0];
  if (!target) return realFetch(input, init);
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  headers.set(SANDBOX_HOST_HEADER, url.hostname);
  const local = new URL(`${url.pathname}${url.search}`, target);
  return realFetch(local, { ...init, headers, method: init?.method ?? (input instanceof Request ? input.method : undefined) });
}

/** Routes the shop's API host to the sandbox at `baseUrl`; returns the function that removes the route. */
export function registerSandboxShop(shop: string, baseUrl: string, ownsFile: (path: string) => boolean = () => false): () => void {
  if (!installed) {
    setAbstractFetchFunc(sandboxFetch as never);
    installed = true;
  }
  shops.set(shop, baseUrl);
  storage.set(baseUrl, ownsFile);
  return () => {
    if (shops.get(shop) === baseUrl) shops.delete(shop);
    storage.delete(baseUrl);
  };
}

/** (Re)installs the sandbox routing as the SDK's transport (after something else replaced it). */
export function installSandboxTransport(): void {
  setAbstractFetchFunc(sandboxFetch as never);
  installed = true;
}
