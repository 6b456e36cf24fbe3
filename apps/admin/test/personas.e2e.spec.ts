import { PersonasService } from '@portrait/core';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

type Persona = { id: string; name: string; key: string; summary: string | null; card: Record<string, unknown>; rules: unknown[]; minScore: number; version: number; size: number };
type Problem = { code: string; errors: { field: string; message: string }[] };

describe('personas', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  const lisbon = { trait: 'city', op: 'eq', value: 'Lisbon' };
  const porto = { trait: 'city', op: 'eq', value: 'Porto' };

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/personas`;
    await admin.ingest(ws.id, [
      person('a', [['email', 'ana@example.org']], { city: 'Lisbon', first_name: 'Ana' }),
      person('b', [['email', 'bia@example.org']], { city: 'Lisbon', first_name: 'Bia' }),
      person('c', [['email', 'carl@example.org']], { city: 'Porto', first_name: 'Carl' }),
    ]);
  });
  afterAll(() => admin?.close());

  const count = async (workspaceId: string) => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM personas WHERE workspace_id = $1 AND deleted_at IS NULL`, [workspaceId]))[0].n as number;

  it('creates a persona (201) with its size: the workspace\'s profiles are assigned before the answer', async () => {
    const created = await admin.call(editor, base, {
      method: 'POST',
      body: { name: 'Lisbon locals', summary: 'Lives in Lisbon', card: { role: 'Chef', typology: 'loyal' }, rules: [{ condition: lisbon, weight: 1, label: 'lives in Lisbon' }] },
    });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ name: 'Lisbon locals', key: 'lisbon-locals', card: { role: 'Chef', typology: 'loyal' }, minScore: 0.5, version: 1, size: 2 });
  });

  it('refuses bad input with 400 naming the field, rule conditions included, and stores nothing', async () => {
    const before = await count(ws.id);
    const cases: [unknown, string][] = [
      [{ rules: [{ condition: lisbon, weight: 1 }] }, 'name'],
      [{ name: 'No rules', rules: [] }, 'rules'],
      [{ name: 'Bad weight', rules: [{ condition: lisbon, weight: 0 }] }, 'rules.0.weight'],
      [{ name: 'Bad op', rules: [{ condition: { trait: 'city', op: 'near', value: 'Lisbon' }, weight: 1 }] }, 'rules.0.condition.op'],
      [{ name: 'Bad tree', rules: [{ condition: lisbon, weight: 1 }, { condition: { all: [lisbon, { trait: 'city', op: 'eq' }] }, weight: 1 }] }, 'rules.1.condition.all[1].op'],
      [{ name: 'Bad typology', card: { typology: 'thrifty' }, rules: [{ condition: lisbon, weight: 1 }] }, 'card.typology'],
      [{ name: 'Bad score', minScore: 2, rules: [{ condition: lisbon, weight: 1 }] }, 'minScore'],
      [{ name: 'Bad key', key: 'Not A Key', rules: [{ condition: lisbon, weight: 1 }] }, 'key'],
    ];
    for (const [body, field] of cases) {
      const response = await admin.call(editor, base, { method: 'POST', body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect((await json<Problem>(response)).errors.map((e) => e.field)).toContain(field);
    }
    // A rule on a segment is refused: personas are assigned before segments are evaluated.
    const onSegment = await admin.call(editor, base, { method: 'POST', body: { name: 'On segment', rules: [{ condition: { segment: '00000000-0000-4000-8000-000000000000' }, weight: 1 }] } });
    expect(onSegment.status).toBe(400);
    expect((await json<Problem>(onSegment)).errors[0]!.field).toMatch(/^rules\.0\.condition/);
    expect(await count(ws.id)).toBe(before);
  });

  it('lists personas with their sizes page by page, and reads one with its members', async () => {
    await admin.call(editor, base, { method: 'POST', body: { name: 'Porto people', rules: [{ condition: porto, weight: 1 }] } });
    const first = await json<{ data: Persona[]; nextCursor: string | null }>(await admin.call(viewer, `${base}?limit=1`));
    expect(first.data.map((p) => [p.name, p.size])).toEqual([['Lisbon locals', 2]]);
    const second = await json<{ data: Persona[]; nextCursor: string | null }>(await admin.call(viewer, `${base}?limit=1&cursor=${first.nextCursor}`));
    expect(second.data.map((p) => [p.name, p.size])).toEqual([['Porto people', 1]]);
    const one = await admin.call(viewer, `${base}/${first.data[0]!.id}`);
    expect(await json(one)).toMatchObject({ id: first.data[0]!.id, summary: 'Lives in Lisbon' });
    const members = await json<{ data: { profileId: string; score: number }[] }>(await admin.call(viewer, `${base}/${first.data[0]!.id}/members`));
    expect(members.data).toHaveLength(2);
    expect(members.data.every((m) => m.score === 1)).toBe(true);
    const badLimit = await admin.call(viewer, `${base}?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(await json(badLimit)).toMatchObject({ errors: [{ field: 'limit' }] });
    expect((await admin.call(undefined, base)).status).toBe(401);
  });

  it('changes a persona: a new name keeps the rules\' version; new rules re-assign the profiles', async () => {
    const [persona] = (await json<{ data: Persona[] }>(await admin.call(viewer, base))).data;
    const renamed = await admin.call(editor, `${base}/${persona!.id}`, { method: 'PATCH', body: { name: 'Lisboetas' } });
    expect(renamed.status).toBe(200);
    expect(await json(renamed)).toMatchObject({ name: 'Lisboetas', key: 'lisbon-locals', summary: 'Lives in Lisbon', card: { role: 'Chef' }, version: 1, size: 2 });
    const widened = await json(await admin.call(editor, `${base}/${persona!.id}`, { method: 'PATCH', body: { rules: [{ condition: { any: [lisbon, porto] }, weight: 1 }] } }));
    // Carl matches both personas with the same score: the older persona wins.
    expect(widened).toMatchObject({ name: 'Lisboetas', version: 2, size: 3 });
    const bad = await admin.call(editor, `${base}/${persona!.id}`, { method: 'PATCH', body: { rules: [{ condition: { trait: 'city', op: 'eq' }, weight: 1 }] } });
    expect(bad.status).toBe(400);
    expect((await json<Problem>(bad)).errors.map((e) => e.field)).toContain('rules.0.condition.op');
    const badName = await admin.call(editor, `${base}/${persona!.id}`, { method: 'PATCH', body: { name: 7 } });
    expect(badName.status).toBe(400);
    expect(await json(badName)).toMatchObject({ errors: [{ field: 'name' }] });
    expect((await admin.app.get(PersonasService).get(ws.id, persona!.id)).version).toBe(2);
  });

  it('refuses viewers every change (403) and changes nothing', async () => {
    const [persona] = (await json<{ data: Persona[] }>(await admin.call(viewer, base))).data;
    const before = await count(ws.id);
    for (const response of await Promise.all([
      admin.call(viewer, base, { method: 'POST', body: { name: 'Viewer', rules: [{ condition: lisbon, weight: 1 }] } }),
      admin.call(viewer, `${base}/${persona!.id}`, { method: 'PATCH', body: { name: 'Viewer was here' } }),
      admin.call(viewer, `${base}/${persona!.id}`, { method: 'DELETE' }),
    ])) {
      expect(response.status).toBe(403);
      expect(await json(response)).toMatchObject({ code: 'ROLE_REQUIRED' });
    }
    expect(await count(ws.id)).toBe(before);
    expect((await admin.app.get(PersonasService).get(ws.id, persona!.id)).name).toBe(persona!.name);
  });

  it('answers 404 for another workspace\'s persona ids, changing nothing', async () => {
    const foreign = await admin.app.get(PersonasService).create(other.id, { name: 'Theirs', rules: [{ condition: lisbon, weight: 1 }] });
    for (const [method, path, body] of [
      ['GET', `${base}/${foreign.id}`],
      ['GET', `${base}/${foreign.id}/members`],
      ['PATCH', `${base}/${foreign.id}`, { name: 'Mine now' }],
      ['DELETE', `${base}/${foreign.id}`],
      ['GET', `${base}/not-a-uuid`],
    ] as const) {
      const response = await admin.call(editor, path, { method, body });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    expect((await admin.call(editor, `/admin/api/workspaces/${other.slug}/personas`, { method: 'POST', body: { name: 'Intruder', rules: [{ condition: lisbon, weight: 1 }] } })).status).toBe(404);
    expect(await admin.app.get(PersonasService).get(other.id, foreign.id)).toMatchObject({ name: 'Theirs' });
    expect(await count(other.id)).toBe(1);
  });

  it('deletes a persona (204): its profiles get their next best persona', async () => {
    const [lisboetas, portoPeople] = (await json<{ data: Persona[] }>(await admin.call(viewer, base))).data;
    expect((await admin.call(editor, `${base}/${lisboetas!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin.call(viewer, `${base}/${lisboetas!.id}`)).status).toBe(404);
    expect(await json(await admin.call(viewer, `${base}/${portoPeople!.id}`))).toMatchObject({ size: 1 });
  });
});
