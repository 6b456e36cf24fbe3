import { createTestAdmin, json, type TestAdmin } from './support/test-admin.js';

type Member = { userId: string; email: string; role: string };

describe('members and admin tokens', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let owner: Awaited<ReturnType<TestAdmin['session']>>;
  let members: string;

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    owner = await admin.session(ws.id, 'owner');
    members = `/admin/api/workspaces/${ws.slug}/members`;
  });
  afterAll(() => admin?.close());

  it('lists the workspaces the caller belongs to, and only those', async () => {
    const body = await json<{ data: { slug: string; role: string }[] }>(await admin.call(owner, '/admin/api/workspaces'));
    expect(body.data).toEqual([expect.objectContaining({ slug: ws.slug, role: 'owner' })]);
  });

  it('invites a new user (password answered once, who can then sign in) and adds an existing one', async () => {
    const invited = await admin.call(owner, members, { method: 'POST', body: { email: 'New.Person@Example.org', role: 'viewer' } });
    expect(invited.status).toBe(201);
    const body = await json<{ member: Member; created: boolean; password: string }>(invited);
    expect(body).toMatchObject({ member: { email: 'new.person@example.org', role: 'viewer' }, created: true });
    expect(body.password).toMatch(/^[A-Za-z0-9]{20}$/);
    const signedIn = await admin.signIn('new.person@example.org', body.password);
    expect((await admin.call(signedIn, '/admin/api/session')).status).toBe(200);

    const elsewhere = await admin.user(other.id, 'admin');
    const added = await json<{ created: boolean; password?: string }>(await admin.call(owner, members, { method: 'POST', body: { email: elsewhere.email, role: 'admin' } }));
    expect(added).toEqual(expect.objectContaining({ created: false }));
    expect(added.password).toBeUndefined();
    const again = await admin.call(owner, members, { method: 'POST', body: { email: elsewhere.email, role: 'viewer' } });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: 'MEMBER_CONFLICT' });
  });

  it('refuses bad input naming the field', async () => {
    const badRole = await admin.call(owner, members, { method: 'POST', body: { email: 'x@example.org', role: 'god' } });
    expect(badRole.status).toBe(400);
    expect(await json(badRole)).toMatchObject({ errors: [{ field: 'role' }] });
    const badEmail = await admin.call(owner, members, { method: 'POST', body: { email: 'not an email', role: 'viewer' } });
    expect(badEmail.status).toBe(400);
    expect(await json(badEmail)).toMatchObject({ errors: [{ field: 'email' }] });
    const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM admin_users WHERE email = 'x@example.org'`);
    expect(n).toBe(0);
  });

  it('changes roles and removes members; never the last owner', async () => {
    const list = await json<{ data: Member[] }>(await admin.call(owner, members));
    const person = list.data.find((m) => m.email === 'new.person@example.org')!;
    const promoted = await admin.call(owner, `${members}/${person.userId}`, { method: 'PATCH', body: { role: 'admin' } });
    expect(await json(promoted)).toMatchObject({ role: 'admin' });
    const demoteSelf = await admin.call(owner, `${members}/${owner.userId}`, { method: 'PATCH', body: { role: 'viewer' } });
    expect(demoteSelf.status).toBe(409);
    expect(await json(demoteSelf)).toMatchObject({ code: 'LAST_OWNER' });
    expect((await admin.call(owner, `${members}/${owner.userId}`, { method: 'DELETE' })).status).toBe(409);
    expect((await admin.call(owner, `${members}/${person.userId}`, { method: 'PATCH', body: { role: 'owner!' } })).status).toBe(400);
    expect((await admin.call(owner, `${members}/${person.userId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await json<{ data: Member[] }>(await admin.call(owner, members))).data.map((m) => m.email)).not.toContain('new.person@example.org');
  });

  it('keeps member changes to owners (403 for admins and viewers) and other workspaces\' users out of reach (404)', async () => {
    const editor = await admin.session(ws.id, 'admin');
    const viewer = await admin.session(ws.id, 'viewer');
    for (const caller of [editor, viewer]) {
      expect((await admin.call(caller, members, { method: 'POST', body: { email: 'y@example.org', role: 'owner' } })).status).toBe(403);
      expect((await admin.call(caller, `${members}/${caller.userId}`, { method: 'PATCH', body: { role: 'owner' } })).status).toBe(403);
      expect((await admin.call(caller, `${members}/${owner.userId}`, { method: 'DELETE' })).status).toBe(403);
    }
    expect((await json<{ data: Member[] }>(await admin.call(viewer, members))).data.find((m) => m.userId === viewer.userId)?.role).toBe('viewer');
    const outsider = await admin.user(other.id, 'owner');
    expect((await admin.call(owner, `${members}/${outsider.userId}`, { method: 'PATCH', body: { role: 'viewer' } })).status).toBe(404);
    expect((await admin.call(owner, `${members}/${outsider.userId}`, { method: 'DELETE' })).status).toBe(404);
    expect((await admin.call(owner, `/admin/api/workspaces/${other.slug}/members`)).status).toBe(404);
    const [{ role }] = await admin.db.dataSource.query(`SELECT role FROM admin_memberships WHERE user_id = $1`, [outsider.userId]);
    expect(role).toBe('owner');
  });

  it('creates an admin token for owners only, shows it once, and revokes it', async () => {
    const created = await admin.call(owner, '/admin/api/tokens', { method: 'POST', body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const { adminToken, token } = await json<{ adminToken: { id: string; prefix: string }; token: string }>(created);
    expect(token).toMatch(/^pra_[A-Za-z0-9]{43}$/);
    expect(token.startsWith(adminToken.prefix)).toBe(true);
    const listed = await admin.call(owner, '/admin/api/tokens');
    expect(JSON.stringify(await json(listed))).not.toContain(token);

    // The token acts as its creator, with no CSRF token.
    const who = await json(await admin.call({ token }, '/admin/api/session'));
    expect(who).toMatchObject({ user: { email: owner.email }, via: 'token', csrfToken: null });
    expect((await admin.call({ token }, `/admin/api/workspaces/${ws.slug}/segments`, { method: 'POST', body: { name: 'Token', condition: { trait: 'country', op: 'exists' } } })).status).toBe(201);

    const badName = await admin.call(owner, '/admin/api/tokens', { method: 'POST', body: { name: '' } });
    expect(badName.status).toBe(400);
    expect(await json(badName)).toMatchObject({ errors: [{ field: 'name' }] });
    const editor = await admin.session(ws.id, 'admin');
    const notOwner = await admin.call(editor, '/admin/api/tokens', { method: 'POST', body: { name: 'mine' } });
    expect(notOwner.status).toBe(403);
    expect(await json(notOwner)).toMatchObject({ code: 'OWNER_REQUIRED' });
    // Someone else's token cannot be revoked by id.
    expect((await admin.call(editor, `/admin/api/tokens/${adminToken.id}`, { method: 'DELETE' })).status).toBe(404);

    const revoked = await admin.call(owner, `/admin/api/tokens/${adminToken.id}`, { method: 'DELETE' });
    expect(await json(revoked)).toMatchObject({ id: adminToken.id, revokedAt: expect.any(String) });
    const refused = await admin.call({ token }, '/admin/api/workspaces');
    expect(refused.status).toBe(401);
    expect(await json(refused)).toMatchObject({ code: 'INVALID_ADMIN_TOKEN' });
  });

  it('gives a token its creator\'s current role: a creator demoted to viewer makes it read-only', async () => {
    const second = await admin.session(ws.id, 'owner');
    const { token } = await json<{ token: string }>(await admin.call(second, '/admin/api/tokens', { method: 'POST', body: { name: 'ops' } }));
    await admin.call(owner, `${members}/${second.userId}`, { method: 'PATCH', body: { role: 'viewer' } });
    expect((await admin.call({ token }, `/admin/api/workspaces/${ws.slug}/segments`)).status).toBe(200);
    const refused = await admin.call({ token }, `/admin/api/workspaces/${ws.slug}/segments`, { method: 'POST', body: { name: 'Nope', condition: { trait: 'country', op: 'exists' } } });
    expect(refused.status).toBe(403);
  });
});
