import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultController, type FaultKind, type FaultRule, type SandboxFaults } from './sandbox-faults.js';
import { SandboxHttpError } from './sandbox-http-error.js';

/**
 * The base of every channel sandbox: a real HTTP server on a loopback port, routing, JSON replies,
 * fault injection and a request log. A channel's sandbox adds its routes and its data; connectors
 * (and official vendor SDKs pointed at `url`) talk to it exactly as to the real API.
 */

export type SandboxMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface SandboxRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** `:name` segments of the route's path. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
  /** The body parsed as JSON when it is JSON (else undefined). */
  body: unknown;
  /** Passes records through the sandbox's malformed-record faults (the pagination helpers call it). */
  corrupt<T>(records: readonly T[]): T[];
}

export interface SandboxReply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON unless a string or a Buffer. */
  body?: unknown;
}

export type SandboxHandler = (request: SandboxRequest) => SandboxReply | Promise<SandboxReply>;

export interface SandboxRoute {
  method: SandboxMethod;
  /** `/customers/:id` */
  path: string;
  handler: SandboxHandler;
}

/** Routes as a list, or as a map of `"GET /customers/:id"` to handler. */
export type SandboxRoutes = SandboxRoute[] | Record<string, SandboxHandler>;

export interface SandboxOptions {
  faults?: FaultRule[];
  /** Seeds the fault decisions (default 1). */
  seed?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
}

export interface SandboxLogEntry {
  method: string;
  path: string;
  /** The query string without its `?`. */
  query: string;
  status: number;
  /** The fault served instead of the route's answer, if any. */
  fault?: FaultKind;
  at: number;
}

export interface SandboxServer {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  readonly url: string;
  readonly port: number;
  readonly faults: SandboxFaults;
  /** Every request served, in order (method, path, query, status: never headers or bodies). */
  readonly requests: readonly SandboxLogEntry[];
  close(): Promise<void>;
}

/** `json({ data })`, `json({ error }, 404)`: a JSON reply. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): SandboxReply {
  return { status, body, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } };
}

interface CompiledRoute {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: SandboxHandler;
}

function compile(routes: SandboxRoutes): CompiledRoute[] {
  const list: SandboxRoute[] = Array.isArray(routes)
    ? routes
    : Object.entries(routes).map(([key, handler]) => {
        const [method, path] = key.trim().split(/\s+/);
        if (!method || !path) throw new Error(`route "${key}" must read "METHOD /path"`);
        return { method: method.toUpperCase() as SandboxMethod, path, handler };
      });
  return list.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          names.push(segment.slice(1));
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { method: route.method, pattern: new RegExp(`^${source}/?$`), names, handler: route.handler };
  });
}

/** Starts a sandbox on a loopback port. Close it when done (`await sandbox.close()`). */
export async function createSandboxServer(routes: SandboxRoutes, options: SandboxOptions = {}): Promise<SandboxServer> {
  const compiled = compile(routes);
  const faults = new FaultController(options.faults ?? [], options.seed ?? 1);
  const requests: SandboxLogEntry[] = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, json({ error: error instanceof Error ? error.message : 'sandbox failure' }, 500));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawBody = await readBody(req);
    const log = (status: number, fault?: FaultKind) =>
      requests.push({ method, path: url.pathname, query: url.search.slice(1), status, fault, at: Date.now() });

    const fault = faults.nextRequestFault(url.pathname);
    if (fault?.kind === 'rate_limit') {
      const seconds = fault.retryAfter ?? 1;
      const retryAfter = fault.retryAfterFormat === 'http-date' ? new Date(Date.now() + seconds * 1000).toUTCString() : String(seconds);
      log(429, 'rate_limit');
      return send(res, json({ error: 'rate limit exceeded' }, 429, { 'retry-after': retryAfter }));
    }
    if (fault?.kind === 'server_error') {
      const status = fault.status ?? 500;
      log(status, 'server_error');
      return send(res, json({ error: 'internal error' }, status));
    }
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 1000));

    const match = findRoute(compiled, method, url.pathname);
    if (!match) {
      const status = match === null ? 405 : 404;
      log(status);
      return send(res, json({ error: status === 404 ? `no route for ${url.pathname}` : `${method} not allowed on ${url.pathname}` }, status));
    }
    const headers: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(req.headers)) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    const request: SandboxRequest = {
      method,
      path: url.pathname,
      params: match.params,
      query: url.searchParams,
      headers,
      rawBody,
      body: parseJson(rawBody, headers['content-type']),
      corrupt: (records) => faults.corruptRecords(records, url.pathname),
    };
    let reply: SandboxReply;
    try {
      reply = await match.route.handler(request);
    } catch (error) {
      if (!(error instanceof SandboxHttpError)) throw error;
      reply = json({ error: error.message }, error.status);
    }
    log(reply.status ?? 200, fault?.kind);
    send(res, reply);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    port,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The matching route, `null` when the path exists for another method, `undefined` when no route has it. */
function findRoute(routes: CompiledRoute[], method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | null | undefined {
  let pathExists = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathExists = true;
    if (route.method !== method) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1]!)));
    return { route, params };
  }
  return pathExists ? null : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function parseJson(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0 || !contentType?.includes('json')) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, reply: SandboxReply): void {
  const headers = { ...reply.headers };
  let payload: string | Buffer | undefined;
  if (reply.body === undefined) payload = undefined;
  else if (typeof reply.body === 'string' || Buffer.isBuffer(reply.body)) payload = reply.body;
  else {
    payload = JSON.stringify(reply.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(reply.status ?? 200, headers);
  res.end(payload);
}
