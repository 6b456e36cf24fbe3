import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectorAuthError, ConnectorRateLimitError, ConnectorRequestError, ConnectorTransientError } from './connector.errors.js';
import { createConnectorContext } from './connector-context.js';
import type { ConnectorLogger } from './connector.logger.js';
import { HttpClient, parseRetryAfter } from './http-client.js';
import { backoffDelay } from './retry-policy.js';

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/** A real loopback HTTP server answering with `handler`, recording when each request arrived. */
async function startServer(handler: Handler): Promise<{ url: string; arrivals: number[]; paths: string[]; close(): Promise<void> }> {
  const arrivals: number[] = [];
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    arrivals.push(Date.now());
    paths.push(req.url ?? '');
    handler(req, res, arrivals.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    paths,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A logger that keeps the retry delays the client announces. */
function recordingLogger(): ConnectorLogger & { delays: number[]; lines: string[] } {
  const delays: number[] = [];
  const lines: string[] = [];
  const record = (obj: Record<string, unknown> | string, msg?: string) => {
    lines.push(JSON.stringify(obj) + (msg ?? ''));
    if (typeof obj === 'object' && typeof obj.delayMs === 'number') delays.push(obj.delayMs);
  };
  return { delays, lines, debug: record, info: record, warn: record, error: record };
}

describe('HttpClient against a real HTTP server', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const serve = async (handler: Handler) => {
    const server = await startServer(handler);
    servers.push(server);
    return server;
  };

  it('waits the Retry-After seconds of a 429, then returns the parsed JSON body', async () => {
    const server = await serve((_req, res, index) =>
      index === 0 ? json(res, 429, { error: 'slow down' }, { 'retry-after': '1' }) : json(res, 200, { customers: [{ id: 1 }] }),
    );
    const logger = recordingLogger();
    const client = new HttpClient({ baseUrl: server.url, logger, retry: { random: () => 0 } });

    const response = await client.get<{ customers: { id: number }[] }>('/customers', { query: { limit: 2 } });

    expect(response.status).toBe(200);
    expect(response.body.customers).toEqual([{ id: 1 }]);
    expect(server.paths).toEqual(['/customers?limit=2', '/customers?limit=2']);
    expect(logger.delays).toEqual([1000]);
    // Backoff alone would have retried at once (random() = 0): the gap is the server's hint.
    expect(server.arrivals[1]! - server.arrivals[0]!).toBeGreaterThanOrEqual(950);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const server = await serve((_req, res, index) =>
      index === 0
        ? json(res, 429, {}, { 'retry-after': new Date(Date.now() + 2000).toUTCString() })
        : json(res, 200, { ok: true }),
    );
    const logger = recordingLogger();
    const client = new HttpClient({ baseUrl: server.url, logger, retry: { random: () => 0 } });

    await expect(client.get('/ping')).resolves.toMatchObject({ status: 200, body: { ok: true } });

    expect(logger.delays).toHaveLength(1);
    // An HTTP date has a one-second resolution: the wait is what is left of the two seconds.
    expect(logger.delays[0]).toBeGreaterThan(0);
    expect(logger.delays[0]).toBeLessThanOrEqual(2000);
    expect(server.arrivals[1]! - server.arrivals[0]!).toBeGreaterThanOrEqual(logger.delays[0]! - 50);
  });

  it('parses Retry-After seconds, fractions and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 09:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('retries a 5xx with exponential backoff, then fails with ConnectorTransientError', async () => {
    const server = await serve((_req, res) => json(res, 500, { error: 'boom' }));
    const logger = recordingLogger();
    const policy = { maxRetries: 3, baseDelayMs: 40, maxDelayMs: 10_000, random: () => 0.99 };
    const client = new HttpClient({ baseUrl: server.url, logger, retry: policy });

    const failure = await client.get('/orders').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectorTransientError);
    expect(failure).toMatchObject({ status: 500, retryable: true, code: 'CONNECTOR_TRANSIENT' });
    expect((failure as Error).message).toContain('gave up after 4 attempts');
    expect(server.arrivals).toHaveLength(4);
    expect(logger.delays).toEqual([1, 2, 3].map((attempt) => backoffDelay(attempt, policy)));
    expect(logger.delays).toEqual([39, 79, 158]);
  });

  it('recovers when a 5xx is followed by a success', async () => {
    const server = await serve((_req, res, index) => (index < 2 ? json(res, 502, {}) : json(res, 200, { page: 1 })));
    const client = new HttpClient({ baseUrl: server.url, retry: { baseDelayMs: 10 } });
    await expect(client.get('/orders')).resolves.toMatchObject({ body: { page: 1 } });
    expect(server.arrivals).toHaveLength(3);
  });

  it('fails at once with ConnectorAuthError on 401, without retrying', async () => {
    const server = await serve((_req, res) => json(res, 401, { error: 'bad token' }));
    const client = new HttpClient({ baseUrl: server.url, retry: { baseDelayMs: 10 } });

    const failure = await client.get('/me').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectorAuthError);
    expect((failure as Error).message).toMatch(/credentials refused \(HTTP 401\)/);
    expect(server.arrivals).toHaveLength(1);
  });

  it('fails at once with ConnectorRequestError on another 4xx unless the caller accepts the status', async () => {
    const server = await serve((_req, res) => json(res, 404, { error: 'no such customer' }));
    const client = new HttpClient({ baseUrl: server.url });

    await expect(client.get('/customers/9')).rejects.toBeInstanceOf(ConnectorRequestError);
    await expect(client.get('/customers/9', { acceptStatus: [404] })).resolves.toMatchObject({ status: 404 });
    expect(server.arrivals).toHaveLength(2);
  });

  it('fails with ConnectorRateLimitError when the vendor asks to wait longer than the policy allows', async () => {
    const server = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const client = new HttpClient({ baseUrl: server.url, retry: { maxRetryAfterMs: 60_000 } });

    const failure = await client.get('/customers').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConnectorRateLimitError);
    expect(failure).toMatchObject({ retryAfterMs: 3_600_000 });
    expect(server.arrivals).toHaveLength(1);
  });

  it('stops waiting for a Retry-After as soon as the signal aborts', async () => {
    const server = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '60' }));
    const controller = new AbortController();
    const client = new HttpClient({ baseUrl: server.url, signal: controller.signal });

    const pending = client.get('/customers').catch((error: unknown) => error);
    while (server.arrivals.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('run cancelled'));

    const failure = await pending;
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('run cancelled');
    expect(server.arrivals).toHaveLength(1);
  }, 5_000);

  it('binds the clients of a connector context to the context signal and logger', async () => {
    const server = await serve((_req, res) => json(res, 503, {}, { 'retry-after': '60' }));
    const controller = new AbortController();
    const logger = recordingLogger();
    const ctx = createConnectorContext({ signal: controller.signal, logger });
    const client = ctx.http({ baseUrl: server.url });

    const pending = client.get('/customers').catch((error: unknown) => error);
    while (logger.delays.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();

    expect(await pending).toMatchObject({ name: 'AbortError' });
    expect(logger.delays).toEqual([60_000]);
    expect(logger.lines.join('\n')).not.toContain('customers?');
  }, 5_000);
});
