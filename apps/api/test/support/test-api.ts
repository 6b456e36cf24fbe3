import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Connector, ProfileFactInput } from '@portrait/connector-sdk';
import { ApiKeysService, IngestService, IntakeLogService, loadConfig, WorkspacesService, type ApiKeyScope, type IngestResult, type Runtime } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { createApiApp } from '../../src/main.js';

/** The API app booted on a fresh test database, listening on a loopback port, with helpers to set up data. */
export interface TestApi {
  app: NestFastifyApplication;
  db: TestDatabase;
  base: string;
  workspace(slug?: string): Promise<string>;
  key(workspaceId: string, scopes: ApiKeyScope[], rateLimitPerMinute?: number): Promise<string>;
  ingest(workspaceId: string, facts: ProfileFactInput[]): Promise<IngestResult>;
  /** Waits until every tracking message of the workspace appended so far is on its profile (what a client without Portrait-Wait cannot ask). */
  drained(workspaceId: string): Promise<void>;
  /** fetch against the app with a key (Bearer), JSON in and out. */
  call(key: string | undefined, path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  close(): Promise<void>;
}

let counter = 0;

/** Seals webhook secrets in tests (a test value, not a secret). */
const TEST_SECRET_KEY = 'portrait-test-key-0123456789abcdefghij';

/**
 * Boots the API on `db` (a fresh one when not given); several apps may share one database (and a Redis).
 * `connectors` are installed besides the built-in ones; `env` adds configuration; `logDestination` receives the app's logs.
 */
export async function createTestApi(
  options: { db?: TestDatabase; redisUrl?: string; connectors?: readonly Connector[]; env?: Record<string, string>; logDestination?: Runtime['logDestination'] } = {},
): Promise<TestApi> {
  const db = options.db ?? (await createTestDatabase());
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL: options.redisUrl, PORTRAIT_SECRET_KEY: TEST_SECRET_KEY, ...options.env });
  const app = await createApiApp({ config, database: { url: db.url, mode: 'external', release: async () => {} }, logDestination: options.logDestination }, { connectors: options.connectors });
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  return {
    app,
    db,
    base,
    async workspace(slug = `ws-${process.pid}-${++counter}`) {
      return (await app.get(WorkspacesService).create(slug)).id;
    },
    async key(workspaceId, scopes, rateLimitPerMinute) {
      return (await app.get(ApiKeysService).create(workspaceId, { scopes, rateLimitPerMinute })).key;
    },
    ingest(workspaceId, facts) {
      return app.get(IngestService).ingest(workspaceId, facts);
    },
    async drained(workspaceId) {
      const done = await app.get(IntakeLogService).waitUntilProcessed({ workspaceId, firstId: '0', lastId: '9223372036854775807' }, 20_000);
      if (!done) throw new Error(`the intake log of workspace ${workspaceId} was not drained within 20 s`);
    },
    call(key, path, init = {}) {
      const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...init.headers };
      if (init.body !== undefined) headers['content-type'] ??= 'application/json';
      return fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) });
    },
    async close() {
      await app.close();
      if (!options.db) await db.close();
    },
  };
}

/** A person fact of a test source. */
export function person(externalId: string, identities: [string, string][], traits: Record<string, unknown> = {}, extra: Partial<ProfileFactInput> = {}): ProfileFactInput {
  return {
    source: 'crm',
    externalId,
    identities: identities.map(([type, value]) => ({ type, value })),
    traits,
    observedAt: '2026-01-10T00:00:00.000Z',
    ...extra,
  };
}
