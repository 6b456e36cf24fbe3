import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ProfileFactInput } from '@portrait/connector-sdk';
import { AdminTokensService, AdminUsersService, IngestService, loadConfig, WorkspacesService, type AdminRole, type IngestResult, type PortraitCoreOptions } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { createAdminApp } from '../../src/main.js';

/** A signed-in browser: the session cookie and the CSRF token answered at sign-in. */
export interface TestSession {
  cookie: string;
  csrfToken: string;
}

/** How a test call authenticates: a browser session, an admin token, or nothing. */
export type Credentials = TestSession | { token: string } | undefined;

export interface TestAdmin {
  app: NestFastifyApplication;
  db: TestDatabase;
  base: string;
  /** A new workspace: its id and slug. */
  workspace(slug?: string): Promise<{ id: string; slug: string }>;
  /** A new admin user with a role in a workspace; answers the password. */
  user(workspaceId: string, role: AdminRole, email?: string): Promise<{ email: string; password: string; userId: string }>;
  /** Signs in through the API from a client address of its own (the per-address limit stays out of the way). */
  signIn(email: string, password: string): Promise<TestSession>;
  /** A new user with a role, signed in. */
  session(workspaceId: string, role: AdminRole): Promise<TestSession & { email: string; userId: string }>;
  /** An admin token of a user (who must own a workspace). */
  token(userId: string): Promise<string>;
  ingest(workspaceId: string, facts: ProfileFactInput[]): Promise<IngestResult>;
  /** fetch against the app, JSON in and out; a session sends its cookie and, unless `csrf: false`, its CSRF token. */
  call(credentials: Credentials, path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string>; csrf?: boolean }): Promise<Response>;
  close(): Promise<void>;
}

let counter = 0;
let addresses = 0;

/** `connectors`: the app's connectors instead of the built-in ones. */
export async function createTestAdmin(options: { connectors?: PortraitCoreOptions['connectors'] } = {}): Promise<TestAdmin> {
  const db = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url });
  const app = await createAdminApp({ config, database: { url: db.url, mode: 'external', release: async () => {} } }, options);
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  const admin: TestAdmin = {
    app,
    db,
    base,
    async workspace(slug = `ws-${process.pid}-${++counter}`) {
      const workspace = await app.get(WorkspacesService).create(slug);
      return { id: workspace.id, slug: workspace.slug };
    },
    async user(workspaceId, role, email = `user${++counter}@example.org`) {
      const password = `password-${counter}-long-enough`;
      const { member } = await app.get(AdminUsersService).addMember(workspaceId, { email, role, password });
      return { email, password, userId: member.userId };
    },
    async signIn(email, password) {
      const response = await fetch(`${base}/admin/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.${++addresses >> 8}.${addresses & 255}` },
        body: JSON.stringify({ email, password }),
      });
      if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`);
      const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
      return { cookie, csrfToken: ((await response.json()) as { csrfToken: string }).csrfToken };
    },
    async session(workspaceId, role) {
      const user = await admin.user(workspaceId, role);
      return { ...(await admin.signIn(user.email, user.password)), email: user.email, userId: user.userId };
    },
    async token(userId) {
      return (await app.get(AdminTokensService).create(userId, 'test')).token;
    },
    ingest(workspaceId, facts) {
      return app.get(IngestService).ingest(workspaceId, facts);
    },
    call(credentials, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (credentials && 'token' in credentials) headers.authorization = `Bearer ${credentials.token}`;
      if (credentials && 'cookie' in credentials) {
        headers.cookie = credentials.cookie;
        if (init.csrf !== false) headers['x-csrf-token'] = credentials.csrfToken;
      }
      if (init.body !== undefined) headers['content-type'] ??= 'application/json';
      return fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body) });
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
  return admin;
}

/** A person fact of a test source. */
export function person(externalId: string, identities: [string, string][], traits: Record<string, unknown> = {}, extra: Partial<ProfileFactInput> = {}): ProfileFactInput {
  return { source: 'crm', externalId, identities: identities.map(([type, value]) => ({ type, value })), traits, observedAt: '2026-01-10T00:00:00.000Z', ...extra };
}

/** The JSON body of a response. */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
