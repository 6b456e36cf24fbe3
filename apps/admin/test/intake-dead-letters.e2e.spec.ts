import { createTestAdmin, json, type TestAdmin, type TestSession } from './support/test-admin.js';

type Summary = { id: string; reason: string; receivedAt: string; deadLetteredAt: string };
type Problem = { code: string; errors?: { field: string }[] };

describe('intake dead letters', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let viewer: TestSession;
  let owner: TestSession;
  let otherId: string;
  const base = () => `/admin/api/workspaces/${ws.slug}/intake/dead-letters`;
  const deadLetter = async (workspaceId: string, email: string, reason: string) => {
    const fact = { source: 'api', externalId: `user_id:${email}`, identities: [{ type: 'email', value: email }], observedAt: '2026-03-01T00:00:00.000Z' };
    const [{ id }] = await admin.db.dataSource.query(
      `INSERT INTO intake_dead_letters (workspace_id, reason, payload, received_at) VALUES ($1, $2, $3, '2026-03-01T00:00:00Z') RETURNING id::text`,
      [workspaceId, reason, JSON.stringify(fact)],
    );
    return id as string;
  };

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    viewer = await admin.session(ws.id, 'viewer');
    owner = await admin.session(ws.id, 'owner');
    for (let i = 1; i <= 3; i++) await deadLetter(ws.id, `blocked-${i}@example.org`, 'no usable identity: email "test@test.com" is a blocked value');
    otherId = await deadLetter(other.id, 'elsewhere@example.org', 'no usable identity');
  });
  afterAll(() => admin?.close());

  it('lists them newest first without the message, page by page', async () => {
    const first = await json<{ data: Summary[]; nextCursor: string | null }>(await admin.call(viewer, `${base()}?limit=2`));
    expect(first.data).toHaveLength(2);
    expect(first.data[0]).toEqual({ id: expect.any(String), reason: expect.stringContaining('blocked value'), receivedAt: '2026-03-01T00:00:00.000Z', deadLetteredAt: expect.any(String) });
    expect(JSON.stringify(first)).not.toContain('@example.org');
    const second = await json<{ data: Summary[]; nextCursor: string | null }>(await admin.call(viewer, `${base()}?limit=2&cursor=${first.nextCursor}`));
    expect(second.data).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(Number(first.data[0]!.id)).toBeGreaterThan(Number(second.data[0]!.id));
    const bad = await admin.call(viewer, `${base()}?cursor=nonsense`);
    expect(bad.status).toBe(400);
    expect((await json<Problem>(bad)).errors?.map((e) => e.field)).toEqual(['cursor']);
  });

  it('answers one with its message, audited; another workspace\'s, or no such id, is a 404', async () => {
    const { data } = await json<{ data: Summary[] }>(await admin.call(viewer, base()));
    const one = await admin.call(viewer, `${base()}/${data[0]!.id}`);
    expect(one.status).toBe(200);
    expect(await json(one)).toMatchObject({ id: data[0]!.id, message: { identities: [{ type: 'email', value: 'blocked-3@example.org' }] } });
    expect((await admin.call(viewer, `${base()}/${otherId}`)).status).toBe(404);
    expect((await admin.call(viewer, `${base()}/not-a-number`)).status).toBe(404);
    expect((await admin.call(viewer, `/admin/api/workspaces/${other.slug}/intake/dead-letters`)).status).toBe(404);
    const log = await json<{ data: { action: string; target: { type: string; id: string | null } }[] }>(await admin.call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?limit=200`));
    expect(log.data.map((e) => e.action)).toEqual(expect.arrayContaining(['intake.dead_letters.read', 'intake.dead_letter.read']));
    expect(log.data.find((e) => e.action === 'intake.dead_letter.read')!.target).toEqual({ type: 'intake_dead_letter', id: data[0]!.id });
  });
});
