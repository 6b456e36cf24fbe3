import { SegmentsService } from '@portrait/core';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

type Segment = { id: string; name: string; key: string; condition: unknown; size: number; version: number };

describe('segments', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  const brazil = { trait: 'country', op: 'eq', value: 'BR' };

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/segments`;
    await admin.ingest(ws.id, [
      person('a', [['email', 'ana@example.org']], { country: 'BR', first_name: 'Ana' }),
      person('b', [['email', 'bia@example.org']], { country: 'BR', first_name: 'Bia' }),
      person('c', [['email', 'carl@example.org']], { country: 'DE', first_name: 'Carl' }),
    ]);
  });
  afterAll(() => admin?.close());

  const count = async (workspaceId: string) => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM segments WHERE workspace_id = $1 AND deleted_at IS NULL`, [workspaceId]))[0].n as number;

  it('creates a segment (201) with its member count computed, by slug or by workspace id', async () => {
    const created = await admin.call(editor, base, { method: 'POST', body: { name: 'Brazil', condition: brazil } });
    expect(created.status).toBe(201);
    expect(await json(created)).toMatchObject({ name: 'Brazil', key: 'brazil', condition: brazil, size: 2, version: 1 });
    const byId = await admin.call(editor, `/admin/api/workspaces/${ws.id}/segments`, { method: 'POST', body: { name: 'Germany', key: 'de', condition: { trait: 'country', op: 'eq', value: 'DE' } } });
    expect(byId.status).toBe(201);
    expect(await json(byId)).toMatchObject({ key: 'de', size: 1 });
  });

  it('refuses bad input with 400 naming the field, and stores nothing', async () => {
    const before = await count(ws.id);
    const cases: [unknown, string][] = [
      [{ condition: brazil }, 'name'],
      [{ name: '', condition: brazil }, 'name'],
      [{ name: 'No condition' }, 'condition'],
      [{ name: 'Bad key', key: 'Not A Key', condition: brazil }, 'key'],
      [{ name: 'Bad op', condition: { trait: 'country', op: 'near', value: 'BR' } }, 'condition.op'],
      [{ name: 'Bad tree', condition: { all: [brazil, { trait: 'country', op: 'eq' }] } }, 'condition.all[1].op'],
    ];
    for (const [body, field] of cases) {
      const response = await admin.call(editor, base, { method: 'POST', body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      const problem = await json<{ code: string; errors: { field: string }[] }>(response);
      expect(problem.errors.map((e) => e.field)).toContain(field);
    }
    const notJson = await admin.call(editor, base, { method: 'POST', body: '{"name": ' });
    expect(notJson.status).toBe(400);
    expect(await count(ws.id)).toBe(before);
  });

  it('lists segments with their member counts, reads one, pages with a cursor', async () => {
    const page = await json<{ data: Segment[]; nextCursor: string | null }>(await admin.call(viewer, `${base}?limit=1`));
    expect(page.data).toEqual([expect.objectContaining({ name: 'Brazil', size: 2 })]);
    const next = await json<{ data: Segment[] }>(await admin.call(viewer, `${base}?limit=1&cursor=${page.nextCursor}`));
    expect(next.data).toEqual([expect.objectContaining({ key: 'de', size: 1 })]);
    const one = await admin.call(viewer, `${base}/${page.data[0]!.id}`);
    expect(await json(one)).toMatchObject({ id: page.data[0]!.id, condition: brazil });
    const badLimit = await admin.call(viewer, `${base}?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(await json(badLimit)).toMatchObject({ errors: [{ field: 'limit' }] });
  });

  it('previews a condition not yet saved: the count and a sample; viewers may preview', async () => {
    const preview = await admin.call(viewer, `${base}/preview`, { method: 'POST', body: { condition: brazil } });
    expect(preview.status).toBe(200);
    const body = await json<{ count: number; sample: { traits: { first_name: string } }[] }>(preview);
    expect(body.count).toBe(2);
    expect(body.sample.map((p) => p.traits.first_name).sort()).toEqual(['Ana', 'Bia']);
    const bad = await admin.call(viewer, `${base}/preview`, { method: 'POST', body: { condition: { trait: 'country' } } });
    expect(bad.status).toBe(400);
    expect((await json<{ errors: { field: string }[] }>(bad)).errors[0]!.field).toMatch(/^condition/);
  });

  it('changes a segment: a new condition is recomputed; reads members and size history', async () => {
    const [brazilSegment] = (await json<{ data: Segment[] }>(await admin.call(viewer, base))).data;
    const changed = await admin.call(editor, `${base}/${brazilSegment!.id}`, { method: 'PATCH', body: { condition: { any: [brazil, { trait: 'country', op: 'eq', value: 'DE' }] } } });
    expect(changed.status).toBe(200);
    expect(await json(changed)).toMatchObject({ name: 'Brazil', version: 2, size: 3 });
    const renamed = await json(await admin.call(editor, `${base}/${brazilSegment!.id}`, { method: 'PATCH', body: { name: 'Brazil and Germany' } }));
    expect(renamed).toMatchObject({ name: 'Brazil and Germany', version: 2, size: 3 });
    const badPatch = await admin.call(editor, `${base}/${brazilSegment!.id}`, { method: 'PATCH', body: { name: 7 } });
    expect(badPatch.status).toBe(400);
    expect(await json(badPatch)).toMatchObject({ errors: [{ field: 'name' }] });

    const members = await json<{ data: { profileId: string }[] }>(await admin.call(viewer, `${base}/${brazilSegment!.id}/members`));
    expect(members.data).toHaveLength(3);
    const badPage = await admin.call(viewer, `${base}/${brazilSegment!.id}/members?limit=500`);
    expect(badPage.status).toBe(400);
    expect(await json(badPage)).toMatchObject({ errors: [{ field: 'limit', message: 'must be at most 200' }] });
    const history = await json<{ data: { size: number }[] }>(await admin.call(viewer, `${base}/${brazilSegment!.id}/size-history`));
    expect(history.data.map((p) => p.size)).toEqual([2, 3]);
    const badSince = await admin.call(viewer, `${base}/${brazilSegment!.id}/size-history?since=yesterday`);
    expect(badSince.status).toBe(400);
    expect(await json(badSince)).toMatchObject({ errors: [{ field: 'since' }] });
  });

  it('lists a segment\'s runs, newest first: what each recompute did', async () => {
    const [brazilSegment] = (await json<{ data: Segment[] }>(await admin.call(viewer, base))).data;
    const response = await admin.call(viewer, `${base}/${brazilSegment!.id}/runs`);
    expect(response.status).toBe(200);
    const runs = (await json<{ data: { kind: string; size: number; entered: number; exited: number; durationMs: number }[] }>(response)).data;
    // Created with two members, then widened to three.
    expect(runs.map((r) => [r.kind, r.size, r.entered, r.exited])).toEqual([
      ['full', 3, 1, 0],
      ['full', 2, 2, 0],
    ]);
    expect((await json<{ data: unknown[] }>(await admin.call(viewer, `${base}/${brazilSegment!.id}/runs?limit=1`))).data).toHaveLength(1);
    const badLimit = await admin.call(viewer, `${base}/${brazilSegment!.id}/runs?limit=abc`);
    expect(badLimit.status).toBe(400);
    expect(await json(badLimit)).toMatchObject({ errors: [{ field: 'limit' }] });
    expect((await admin.call(undefined, `${base}/${brazilSegment!.id}/runs`)).status).toBe(401);
  });

  it('refuses viewers every change (403) and changes nothing', async () => {
    const [segment] = (await json<{ data: Segment[] }>(await admin.call(viewer, base))).data;
    const before = await count(ws.id);
    const attempts = [
      admin.call(viewer, base, { method: 'POST', body: { name: 'Viewer', condition: brazil } }),
      admin.call(viewer, `${base}/${segment!.id}`, { method: 'PATCH', body: { name: 'Viewer was here' } }),
      admin.call(viewer, `${base}/${segment!.id}`, { method: 'DELETE' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(403);
      expect(await json(response)).toMatchObject({ code: 'ROLE_REQUIRED' });
    }
    expect(await count(ws.id)).toBe(before);
    expect((await admin.app.get(SegmentsService).get(ws.id, segment!.id)).name).toBe(segment!.name);
  });

  it('answers 404 for another workspace\'s segment ids and for workspaces the caller is not in, changing nothing', async () => {
    const foreign = await admin.app.get(SegmentsService).create(other.id, { name: 'Theirs', definition: brazil });
    for (const [method, path, body] of [
      ['GET', `${base}/${foreign.id}`],
      ['PATCH', `${base}/${foreign.id}`, { name: 'Mine now' }],
      ['DELETE', `${base}/${foreign.id}`],
      ['GET', `${base}/${foreign.id}/members`],
      ['GET', `${base}/${foreign.id}/size-history`],
      ['GET', `${base}/${foreign.id}/runs`],
      ['GET', `${base}/not-a-uuid`],
    ] as const) {
      const response = await admin.call(editor, path, { method, body });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    for (const workspace of [other.slug, other.id, 'no-such-workspace']) {
      const response = await admin.call(editor, `/admin/api/workspaces/${workspace}/segments`);
      expect(response.status).toBe(404);
      expect(await json(response)).toMatchObject({ code: 'WORKSPACE_NOT_FOUND' });
    }
    expect((await admin.call(editor, `/admin/api/workspaces/${other.slug}/segments`, { method: 'POST', body: { name: 'Intruder', condition: brazil } })).status).toBe(404);
    expect(await admin.app.get(SegmentsService).get(other.id, foreign.id)).toMatchObject({ name: 'Theirs' });
    expect(await count(other.id)).toBe(1);
  });

  it('deletes a segment (204); refuses while another refers to it', async () => {
    const inner = await json<Segment>(await admin.call(editor, base, { method: 'POST', body: { name: 'Inner', condition: brazil } }));
    const outer = await json<Segment>(await admin.call(editor, base, { method: 'POST', body: { name: 'Outer', condition: { segment: inner.id } } }));
    expect(outer.size).toBe(2);
    const refused = await admin.call(editor, `${base}/${inner.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(await json(refused)).toMatchObject({ errors: [{ field: 'id' }] });
    expect((await admin.call(editor, `${base}/${outer.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin.call(editor, `${base}/${inner.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin.call(editor, `${base}/${inner.id}`)).status).toBe(404);
  });

  it('lets an admin token work without a CSRF token', async () => {
    const owner = await admin.user(ws.id, 'owner');
    const token = await admin.token(owner.userId);
    const created = await admin.call({ token }, base, { method: 'POST', body: { name: 'By token', condition: brazil } });
    expect(created.status).toBe(201);
  });
});
