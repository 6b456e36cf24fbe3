import { HttpClient } from '@portrait/connector-sdk';
import { cursorPageOf, pageOf } from './pagination.js';
import { SandboxHttpError } from './sandbox-http-error.js';
import { createSandboxServer, json, type SandboxServer } from './sandbox-server.js';

const items = Array.from({ length: 7 }, (_, i) => ({ id: `r${i + 1}`, email: `p${i + 1}@example.com` }));

describe('createSandboxServer', () => {
  let sandbox: SandboxServer;
  afterEach(async () => sandbox?.close());

  const start = (options: Parameters<typeof createSandboxServer>[1] = {}) =>
    createSandboxServer(
      {
        'GET /items': (request) => {
          const page = pageOf(items, request, { defaultSize: 3 });
          return json({ items: page.items, next_page: page.nextPage, total: page.total });
        },
        'GET /cursor/items': (request) => {
          const page = cursorPageOf(items, request, { defaultLimit: 3 });
          return json({ items: page.items, next: page.nextCursor });
        },
        'GET /items/:id': (request) => {
          const item = items.find((i) => i.id === request.params.id);
          if (!item) throw new SandboxHttpError(404, `no item ${request.params.id}`);
          return json(item);
        },
        'POST /echo': (request) => json({ got: request.body }, 201),
      },
      options,
    );

  it('routes by method and path, with params, JSON bodies and a request log', async () => {
    sandbox = await start();
    const http = new HttpClient({ baseUrl: sandbox.url });
    expect((await http.get('/items/r2')).body).toEqual(items[1]);
    expect(await http.post('/echo', { a: 1 })).toMatchObject({ status: 201, body: { got: { a: 1 } } });
    expect((await http.get('/items/r99', { acceptStatus: [404] })).body).toEqual({ error: 'no item r99' });
    expect((await http.get('/nowhere', { acceptStatus: [404] })).status).toBe(404);
    expect((await http.request({ method: 'DELETE', url: '/items/r2', acceptStatus: [405] })).status).toBe(405);
    expect(sandbox.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /items/r2 200',
      'POST /echo 201',
      'GET /items/r99 404',
      'GET /nowhere 404',
      'DELETE /items/r2 405',
    ]);
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('paginates by page number and by cursor, and refuses a bad cursor', async () => {
    sandbox = await start();
    const http = new HttpClient({ baseUrl: sandbox.url });
    const pages: string[][] = [];
    for (let page: number | null = 1; page !== null; ) {
      const response: { body: { items: { id: string }[]; next_page: number | null } } = await http.get('/items', { query: { page } });
      pages.push(response.body.items.map((i) => i.id));
      page = response.body.next_page;
    }
    expect(pages).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: { body: { items: { id: string }[]; next: string | null } } = await http.get('/cursor/items', { query: { cursor, limit: 4 } });
      seen.push(...response.body.items.map((i) => i.id));
      cursor = response.body.next;
    } while (cursor);
    expect(seen).toEqual(items.map((i) => i.id));
    expect((await http.get('/cursor/items', { query: { cursor: 'garbage' }, acceptStatus: [400] })).status).toBe(400);
  });

  it('injects 429 with Retry-After (seconds or HTTP date) the given number of times', async () => {
    sandbox = await start({ faults: [{ kind: 'rate_limit', times: 1, retryAfter: 2 }] });
    const raw = await fetch(`${sandbox.url}/items`);
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${sandbox.url}/items`)).status).toBe(200);

    sandbox.faults.inject({ kind: 'rate_limit', times: 1, retryAfter: 5, retryAfterFormat: 'http-date' });
    const dated = await fetch(`${sandbox.url}/items`);
    const retryAt = Date.parse(dated.headers.get('retry-after') ?? '');
    expect(retryAt - Date.now()).toBeGreaterThan(3000);
    expect(sandbox.faults.injected.rate_limit).toBe(2);
    expect(sandbox.requests.map((r) => r.fault ?? '-')).toEqual(['rate_limit', '-', 'rate_limit']);
  });

  it('injects 5xx only on matching paths, and slow answers', async () => {
    sandbox = await start();
    sandbox.faults.inject({ kind: 'server_error', times: 2, status: 503, path: '/items/' });
    sandbox.faults.inject({ kind: 'slow', times: 1, delayMs: 300, path: /^\/cursor/ });
    expect((await fetch(`${sandbox.url}/items`)).status).toBe(200);
    expect((await fetch(`${sandbox.url}/items/r1`)).status).toBe(503);
    expect((await fetch(`${sandbox.url}/items/r1`)).status).toBe(503);
    expect((await fetch(`${sandbox.url}/items/r1`)).status).toBe(200);
    const started = Date.now();
    expect((await fetch(`${sandbox.url}/cursor/items`)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(sandbox.faults.injected).toEqual({ rate_limit: 0, server_error: 2, slow: 1, malformed: 0 });
  });

  it('corrupts records at the chosen rate, reproducibly for a seed', async () => {
    const corruptedIds = async (seed: number) => {
      const server = await start({ seed, faults: [{ kind: 'malformed', rate: 0.5 }] });
      try {
        const body = (await (await fetch(`${server.url}/items?per_page=7`)).json()) as { items: { id: string; email: string | null }[] };
        return body.items.filter((i) => i.email === null).map((i) => i.id);
      } finally {
        await server.close();
      }
    };
    const first = await corruptedIds(11);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(7);
    expect(await corruptedIds(11)).toEqual(first);
    sandbox = await start({ faults: [{ kind: 'malformed', times: 1, corrupt: () => ({ id: 'r1', email: 12 }) }] });
    const body = (await (await fetch(`${sandbox.url}/items`)).json()) as { items: unknown[] };
    expect(body.items[0]).toEqual({ id: 'r1', email: 12 });
    expect(body.items[1]).toEqual(items[1]);
  });
});
