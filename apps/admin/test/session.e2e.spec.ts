import { ADMIN_LOCK_AFTER_FAILURES, ADMIN_SIGN_IN_ATTEMPTS_PER_WINDOW } from '@portrait/core';
import { createTestAdmin, json, type TestAdmin } from './support/test-admin.js';

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
}

const signIn = (admin: TestAdmin, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${admin.base}/admin/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('sessions', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
  });
  afterAll(() => admin?.close());

  it('signs in with a httpOnly SameSite=Lax cookie and answers who is signed in with the CSRF token', async () => {
    const user = await admin.user(ws.id, 'admin');
    const response = await signIn(admin, { email: ` ${user.email.toUpperCase()} `, password: user.password }, { 'x-forwarded-for': '10.1.0.1' });
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^portrait_session=prs_[A-Za-z0-9]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const body = await json<{ user: { email: string }; csrfToken: string; workspaces: { slug: string; role: string }[] }>(response);
    expect(body.user.email).toBe(user.email);
    expect(body.workspaces).toEqual([expect.objectContaining({ slug: ws.slug, role: 'admin' })]);

    const session = { cookie: cookie.split(';')[0]!, csrfToken: body.csrfToken };
    const who = await json(await admin.call(session, '/admin/api/session'));
    expect(who).toMatchObject({ user: { email: user.email }, via: 'session', csrfToken: body.csrfToken });
    // Only a digest of the session id is stored.
    const [{ count }] = await admin.db.dataSource.query(`SELECT count(*)::int AS count FROM admin_sessions WHERE token_hash::text LIKE '%prs_%'`);
    expect(count).toBe(0);
  });

  it('marks the cookie Secure when the request came over TLS through a proxy', async () => {
    const user = await admin.user(ws.id, 'viewer');
    const response = await signIn(admin, { email: user.email, password: user.password }, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.1.0.2' });
    expect(response.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses bad input with the field, and a wrong password with 401', async () => {
    const missing = await signIn(admin, { email: 'a@example.org' }, { 'x-forwarded-for': '10.1.0.3' });
    expect(missing.status).toBe(400);
    expect(await json(missing)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'password' }] });
    const notAnEmail = await signIn(admin, { email: 'nobody', password: 'x' }, { 'x-forwarded-for': '10.1.0.3' });
    expect(notAnEmail.status).toBe(400);
    expect(await json(notAnEmail)).toMatchObject({ errors: [{ field: 'email' }] });
    const wrong = await signIn(admin, { email: 'nobody@example.org', password: 'wrong password' }, { 'x-forwarded-for': '10.1.0.3' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(await json(wrong)).toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it(`locks an account after ${ADMIN_LOCK_AFTER_FAILURES} failed sign-ins, even against the right password`, async () => {
    const user = await admin.user(ws.id, 'admin');
    for (let i = 0; i < ADMIN_LOCK_AFTER_FAILURES; i++) {
      expect((await signIn(admin, { email: user.email, password: `wrong-${i}` }, { 'x-forwarded-for': `10.2.0.${i}` })).status).toBe(401);
    }
    const locked = await signIn(admin, { email: user.email, password: user.password }, { 'x-forwarded-for': '10.2.1.1' });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(14 * 60);
    expect(await json(locked)).toMatchObject({ code: 'SIGN_IN_LOCKED' });
    // Once the lock has passed, the right password signs in again.
    await admin.db.dataSource.query(`UPDATE admin_users SET locked_until = now() - interval '1 second' WHERE email = $1`, [user.email]);
    expect((await signIn(admin, { email: user.email, password: user.password }, { 'x-forwarded-for': '10.2.1.2' })).status).toBe(200);
  });

  it(`limits failed sign-ins per client address to ${ADMIN_SIGN_IN_ATTEMPTS_PER_WINDOW} per window`, async () => {
    const user = await admin.user(ws.id, 'viewer');
    const from = { 'x-forwarded-for': '10.3.0.1' };
    for (let i = 0; i < ADMIN_SIGN_IN_ATTEMPTS_PER_WINDOW; i++) {
      expect((await signIn(admin, { email: `guess${i}@example.org`, password: 'guess' }, from)).status).toBe(401);
    }
    const limited = await signIn(admin, { email: user.email, password: user.password }, from);
    expect(limited.status).toBe(429);
    expect(await json(limited)).toMatchObject({ code: 'SIGN_IN_RATE_LIMITED' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not held up.
    expect((await signIn(admin, { email: user.email, password: user.password }, { 'x-forwarded-for': '10.3.0.2' })).status).toBe(200);
  });

  it('refuses a mutating request of a cookie session without its CSRF token, and changes nothing', async () => {
    const session = await admin.session(ws.id, 'admin');
    const body = { name: 'No CSRF', condition: { trait: 'country', op: 'eq', value: 'BR' } };
    const without = await admin.call(session, `/admin/api/workspaces/${ws.slug}/segments`, { method: 'POST', body, csrf: false });
    expect(without.status).toBe(403);
    expect(await json(without)).toMatchObject({ code: 'CSRF_TOKEN_INVALID' });
    const forged = await admin.call(session, `/admin/api/workspaces/${ws.slug}/segments`, { method: 'POST', body, csrf: false, headers: { 'x-csrf-token': `prc_${'A'.repeat(43)}` } });
    expect(forged.status).toBe(403);
    const [{ count }] = await admin.db.dataSource.query(`SELECT count(*)::int AS count FROM segments WHERE name = 'No CSRF'`);
    expect(count).toBe(0);
    expect((await admin.call(session, `/admin/api/workspaces/${ws.slug}/segments`, { method: 'POST', body })).status).toBe(201);
  });

  it('signs out: the session ends and its cookie is cleared', async () => {
    const session = await admin.session(ws.id, 'viewer');
    const out = await admin.call(session, '/admin/api/session', { method: 'DELETE' });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toContain('portrait_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0');
    const after = await admin.call(session, '/admin/api/session');
    expect(after.status).toBe(401);
    expect(await json(after)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('ends a session left idle too long, and any session at its absolute end', async () => {
    const idle = await admin.session(ws.id, 'viewer');
    const ended = await admin.session(ws.id, 'viewer');
    expect((await admin.call(idle, '/admin/api/session')).status).toBe(200);
    await admin.db.dataSource.query(`UPDATE admin_sessions SET last_seen_at = now() - interval '3 hours' WHERE user_id = (SELECT id FROM admin_users WHERE email = $1)`, [idle.email]);
    await admin.db.dataSource.query(`UPDATE admin_sessions SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM admin_users WHERE email = $1)`, [ended.email]);
    expect((await admin.call(idle, '/admin/api/session')).status).toBe(401);
    expect((await admin.call(ended, '/admin/api/session')).status).toBe(401);
  });

  it('answers nothing under /admin/api without a session or token, except sign-in and the OpenAPI document', async () => {
    const document = await json<OpenApiDocument>(await fetch(`${admin.base}/admin/api/openapi.json`));
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })));
    expect(operations.length).toBeGreaterThanOrEqual(20);
    const id = '00000000-0000-4000-8000-000000000000';
    for (const { path, method } of operations) {
      if (path === '/admin/api/session' && method === 'POST') continue;
      const url = path.replace('{workspace}', ws.slug).replace(/\{[a-zA-Z]+\}/g, id);
      const response = await admin.call(undefined, url, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    // A wrong cookie or token is no better.
    expect((await admin.call({ cookie: `portrait_session=prs_${'x'.repeat(43)}`, csrfToken: '' }, '/admin/api/workspaces')).status).toBe(401);
    expect((await admin.call({ token: `pra_${'x'.repeat(43)}` }, '/admin/api/workspaces')).status).toBe(401);
  });

  it('no longer lists every workspace at the old unauthenticated route', async () => {
    expect((await fetch(`${admin.base}/api/workspaces`)).status).toBe(404);
    expect((await fetch(`${admin.base}/healthz`)).status).toBe(200);
  });
});
