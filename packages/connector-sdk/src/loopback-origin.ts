/**
 * `http(s)://<loopback>[:port]` and nothing more: a plugin's setting that points its SDK at a local
 * sandbox (Shopify's host, Mailchimp's base path). The credentials go wherever it points, so it may
 * only point at this machine, never at another host.
 */
export function isLoopbackOrigin(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return false;
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
}
