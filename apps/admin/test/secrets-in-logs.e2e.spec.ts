import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNodeProcess, type TestProcess } from '@portrait/core/testing';
import { createTestAdmin, json, TEST_SECRET_KEY, type TestAdmin, type TestSession } from './support/test-admin.js';

/** The built admin app, started as an operator starts it. */
const ADMIN_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

describe('secrets in the admin app\'s log', () => {
  let admin: TestAdmin;
  let app: TestProcess;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(ADMIN_MAIN)) throw new Error(`${ADMIN_MAIN} is missing: build the admin app first (pnpm turbo run build --filter=@portrait/admin)`);
    admin = await createTestAdmin();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The most talkative level: whatever the app logs, a secret must not be in it.
    const env = { ...process.env, NODE_ENV: 'production', DATABASE_URL: admin.db.url, PORTRAIT_SECRET_KEY: TEST_SECRET_KEY, ADMIN_PORT: String(port), PORTRAIT_HOST: '127.0.0.1', LOG_LEVEL: 'trace' };
    app = await startNodeProcess(ADMIN_MAIN, env, `${base}/healthz`);
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await admin?.close();
  });

  it('never writes an API key, a webhook signing secret, a password, a session or a CSRF token', async () => {
    const ws = await admin.workspace();
    const user = await admin.user(ws.id, 'owner');
    const signIn = await fetch(`${base}/admin/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password: user.password }) });
    expect(signIn.status).toBe(200);
    const session: TestSession = { cookie: signIn.headers.get('set-cookie')!.split(';')[0]!, csrfToken: (await json<{ csrfToken: string }>(signIn)).csrfToken };
    const call = (path: string, method = 'GET', body?: unknown) =>
      fetch(`${base}/admin/api/workspaces/${ws.slug}${path}`, {
        method,
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const { key } = await json<{ key: string }>(await call('/api-keys', 'POST', { name: 'partner', scopes: ['profiles:read'] }));
    const created = await json<{ id: string; secret: string }>(await call('/webhooks', 'POST', { url: 'https://example.org/hooks', events: ['segment.entered'] }));
    const rotated = await json<{ secret: string }>(await call(`/webhooks/${created.id}/rotate-secret`, 'POST'));
    // A refused request carrying a secret in its body is not logged with it either.
    expect((await call('/api-keys', 'POST', { name: key, scopes: ['nope'] })).status).toBe(400);
    expect((await call('/api-keys')).status).toBe(200);
    expect((await call('/webhooks')).status).toBe(200);
    expect((await call('/webhooks', 'POST', { url: 'https://example.org/hooks', events: ['segment.entered'], description: rotated.secret.repeat(100) })).status).toBe(400);
    // Everything the process wrote, to its last line.
    await app.stop();
    const output = app.output();
    expect(output).toContain('Nest application successfully started');

    const sessionId = decodeURIComponent(session.cookie.split('=')[1]!);
    for (const secret of [key, created.secret, rotated.secret, user.password, sessionId, session.csrfToken]) expect(output.includes(secret)).toBe(false);
  });
});
