import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import net from 'node:net';

/**
 * The embedded PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly) persisted in a data
 * directory and served on a loopback port, so that every part of Portrait — apps, worker, CLI —
 * reaches it through the ordinary `pg` driver and speaks one SQL dialect in both run modes.
 *
 * Why a socket and not an in-process driver: PGlite is a single session. pglite-socket queues the
 * queries of many connections onto it and keeps a transaction's queries together; we additionally
 * keep an extended-protocol exchange (Parse … Sync) together, see `stickToExtendedProtocol`.
 */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  db: PGlite;
  stop(): Promise<void>;
}

export interface EmbeddedInstanceInfo {
  pid: number;
  port: number;
  url: string;
  startedAt: string;
}

const INSTANCE_FILE = 'embedded-postgres.json';

export interface StartEmbeddedOptions {
  /** Directory for the database files; omit for an in-memory database (tests). */
  dataDir?: string;
  /** Load this data directory dump (from `db.dumpDataDir()`) instead of starting empty. */
  loadDataDir?: Blob | File;
  port?: number;
  maxConnections?: number;
}

export async function startEmbeddedPostgres(options: StartEmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  let dataPath: string | undefined;
  if (options.dataDir) {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    const running = readRunningInstance(dir);
    if (running) {
      throw new Error(
        `The embedded database in ${dir} is already served by process ${running.pid} on ${running.url}; ` +
          'stop that instance first, or let commands reach it through that address.',
      );
    }
    dataPath = join(dir, 'pgdata');
  }
  const db = await PGlite.create({ dataDir: dataPath, loadDataDir: options.loadDataDir });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections ?? 32,
  });
  stickToExtendedProtocol(server);
  await server.start();
  const address = server.getServerConn();
  const port = Number(address.split(':').pop());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  let instanceFile: string | undefined;
  if (options.dataDir) {
    instanceFile = join(resolve(options.dataDir), INSTANCE_FILE);
    const info: EmbeddedInstanceInfo = { pid: process.pid, port, url, startedAt: new Date().toISOString() };
    writeFileSync(instanceFile, JSON.stringify(info, null, 2));
  }

  let stopped = false;
  return {
    url,
    port,
    db,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      if (instanceFile) rmSync(instanceFile, { force: true });
    },
  };
}

/**
 * The instance currently serving the embedded database of `dataDir`, if its process is alive.
 * A stale file (the process died without cleaning up) is ignored.
 */
export function readRunningInstance(dataDir: string): EmbeddedInstanceInfo | undefined {
  const file = join(resolve(dataDir), INSTANCE_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as EmbeddedInstanceInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Resolves when something accepts TCP connections on the port (used to confirm an instance answers). */
export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = net.connect({ port, host });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

// Frontend message types of the extended query protocol, up to and including Sync.
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H', 'F', 'd', 'c', 'f'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);

interface QueuedQuery {
  handlerId: number;
  message: Uint8Array;
}
interface QueryQueueInternals {
  queue: QueuedQuery[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
}

/**
 * pglite-socket runs one message at a time from any connection, holding a connection's turn only
 * while a transaction is open. Outside a transaction nothing in its contract keeps one connection's
 * Parse/Bind/Execute/Sync together (today its message loop happens to finish within microtasks, so
 * interleaving is not observed); interleaving would clobber the single session's unnamed statement.
 * This keeps the turn with a connection from its first extended-protocol message until its Sync, and
 * keeps the queue running after an internal error (the library's loop stops for good on one).
 */
function stickToExtendedProtocol(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueueInternals }).queryQueue;
  let sticky: number | null = null;
  const pick = (): QueuedQuery | null => {
    const owner = queue.db.isInTransaction() && queue.lastHandlerId ? queue.lastHandlerId : sticky;
    if (owner === null) return queue.queue.shift() ?? null;
    const index = queue.queue.findIndex((q) => q.handlerId === owner);
    return index === -1 ? null : queue.queue.splice(index, 1)[0]!;
  };
  queue.processQueue = async function processQueue(this: QueryQueueInternals & Record<string, unknown>) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      for (;;) {
        const item = pick() as (QueuedQuery & { resolve(n: number): void; reject(e: unknown): void; onData(d: Uint8Array): void }) | null;
        if (!item) break;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          sticky = null;
          item.reject(error);
          continue;
        }
        const type = item.message[0]!;
        if (EXTENDED.has(type)) sticky = item.handlerId;
        else if (type === SYNC || sticky === item.handlerId) sticky = null;
        this.lastHandlerId = item.handlerId;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }.bind(queue as QueryQueueInternals & Record<string, unknown>);
  // A connection that goes away while holding the turn must not block the others.
  const clear = (queue as unknown as { clearQueueForHandler(id: number): void }).clearQueueForHandler.bind(queue);
  (queue as unknown as { clearQueueForHandler(id: number): void }).clearQueueForHandler = (id: number) => {
    if (sticky === id) sticky = null;
    clear(id);
  };
}
