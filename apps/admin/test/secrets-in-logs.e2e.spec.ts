import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestAdmin, json, TEST_SECRET_KEY, type TestAdmin, type TestSession } from './support/test-admin.js';

/** The built admin app, started as an operator starts it. */
const ADMIN_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'main.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('secrets in the admin app\'s log', () => {
  let admin: TestAdmin;
  let child: ChildProcess;
  let output = '';
  let base: string;

  beforeAll(async () => {
    if (!existsSync(ADMIN_MAIN)) throw new Error(`${ADMIN_MAIN} is missing: build the admin app first (pnpm turbo run build --filter=@portrait/admin)`);
    admin = await createTestAdmin();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The most talkative level: whatever the app logs, a secret must not be in it.
    const env = { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'production', DATABASE_URL: admin.db.url, PORTRAIT_SECRET_KEY: TEST_SECRET_KEY, ADMIN_PORT: String(port), PORTRAIT_HOST: '127.0.0.1', LOG_LEVEL: 'trace' };
    child = spawn(process.execPath, [ADMIN_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`the admin app exited with ${child.exitCode}:\n${output}`);
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      if (i > 200) throw new Error(`the admin app did not answer /healthz:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };

  afterAll(async () => {
    await stop();
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
    await stop();
    expect(output).toContain('Nest application successfully started');

    const sessionId = decodeURIComponent(session.cookie.split('=')[1]!);
    for (const secret of [key, created.secret, rotated.secret, user.password, sessionId, session.csrfToken]) expect(output.includes(secret)).toBe(false);
  });
});
