import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { MergesService, ProfilesService } from '@portrait/core';
import { ADMIN_CONTROLLERS } from '../src/admin.module.js';
import { AUDITED } from '../src/audit/audited.decorator.js';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

type Merge = { id: string; winnerId: string; loserId: string; undoneAt: string | null };
type AuditEntry = { id: string; action: string; actor: { label: string; via: string }; target: { type: string; id: string | null } | null; ip: string | null; at: string };

describe('merges and the audit log', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let owner: TestSession & { email: string };
  let viewer: TestSession;
  let dan: string;
  let visitor: string;

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    owner = await admin.session(ws.id, 'owner');
    viewer = await admin.session(ws.id, 'viewer');
    await admin.ingest(ws.id, [person('dan', [['email', 'dan@x.io']], { first_name: 'Dan' }), person('ga-1', [['ga_client_id', 'GA.1']], {}, { source: 'ga' })]);
    const profiles = admin.app.get(ProfilesService);
    dan = (await profiles.findByIdentity(ws.id, 'email', 'dan@x.io'))!.id;
    visitor = (await profiles.findByIdentity(ws.id, 'ga_client_id', 'GA.1'))!.id;
    await admin.ingest(ws.id, [person('login-1', [['email', 'dan@x.io'], ['ga_client_id', 'GA.1']], {}, { source: 'api' })]);
  });
  afterAll(() => admin?.close());

  it('lists the merges of a profile, for either side of the merge', async () => {
    const response = await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles/${dan}/merges`);
    expect(response.status).toBe(200);
    const { data } = await json<{ data: Merge[] }>(response);
    expect(data).toEqual([expect.objectContaining({ winnerId: dan, loserId: visitor, undoneAt: null })]);
    expect((await json<{ data: Merge[] }>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles/${visitor}/merges`))).data).toHaveLength(1);
    expect((await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles/not-a-uuid/merges`)).status).toBe(404);
    expect((await admin.call(undefined, `/admin/api/workspaces/${ws.slug}/profiles/${dan}/merges`)).status).toBe(401);
  });

  it('keeps merges of one workspace out of another\'s reach (404, nothing undone), and refuses viewers (403)', async () => {
    const [merge] = await admin.app.get(MergesService).list(ws.id);
    const stranger = await admin.session(other.id, 'owner');
    expect((await admin.call(stranger, `/admin/api/workspaces/${other.slug}/profiles/${dan}/merges`)).status).toBe(404);
    const foreign = await admin.call(stranger, `/admin/api/workspaces/${other.slug}/merges/${merge!.id}/undo`, { method: 'POST' });
    expect(foreign.status).toBe(404);
    expect(await json(foreign)).toMatchObject({ code: 'MERGE_NOT_FOUND' });
    expect((await admin.call(stranger, `/admin/api/workspaces/${other.slug}/merges/not-a-uuid/undo`, { method: 'POST' })).status).toBe(404);
    const byViewer = await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/merges/${merge!.id}/undo`, { method: 'POST' });
    expect(byViewer.status).toBe(403);
    expect((await admin.app.get(MergesService).list(ws.id))[0]!.undoneAt).toBeNull();
  });

  it('undoes a merge once: the merged-away profile lives again; a second undo is a 409', async () => {
    const [merge] = await admin.app.get(MergesService).list(ws.id);
    const undone = await admin.call(owner, `/admin/api/workspaces/${ws.slug}/merges/${merge!.id}/undo`, { method: 'POST' });
    expect(undone.status).toBe(200);
    expect(await json(undone)).toEqual({ restoredProfileId: visitor, survivorId: dan });
    expect((await admin.app.get(ProfilesService).findByIdentity(ws.id, 'ga_client_id', 'GA.1'))!.id).toBe(visitor);
    const again = await admin.call(owner, `/admin/api/workspaces/${ws.slug}/merges/${merge!.id}/undo`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(await json(again)).toMatchObject({ code: 'MERGE_ALREADY_UNDONE' });
  });

  it('writes who did what, to what, when and from where; owners read it newest first, page by page', async () => {
    await admin.call(owner, `/admin/api/workspaces/${ws.slug}/segments`, { method: 'POST', body: { name: 'Audited', condition: { trait: 'first_name', op: 'exists' } }, headers: { 'x-forwarded-for': '203.0.113.9' } });
    const page = await json<{ data: AuditEntry[]; nextCursor: string | null }>(await admin.call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?limit=2`));
    expect(page.data[0]).toMatchObject({ action: 'segment.create', actor: { label: owner.email, via: 'session' }, target: { type: 'segment', id: expect.any(String) }, ip: '203.0.113.9' });
    expect(page.data[1]).toMatchObject({ action: 'merge.undo', target: { type: 'merge' } });
    const rest = await json<{ data: AuditEntry[] }>(await admin.call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?cursor=${page.nextCursor}`));
    const actions = rest.data.map((e) => e.action);
    // Reads of personal data are written too; refused calls are not.
    expect(actions).toEqual(expect.arrayContaining(['profile.merges.read']));
    expect(actions.filter((a) => a === 'merge.undo')).toHaveLength(0);
    expect(page.data.concat(rest.data).every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);

    expect((await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/audit-log`)).status).toBe(403);
    const editor = await admin.session(ws.id, 'admin');
    expect((await admin.call(editor, `/admin/api/workspaces/${ws.slug}/audit-log`)).status).toBe(403);
    for (const cursor of ['nonsense', Buffer.from(JSON.stringify(['99999999999999999999'])).toString('base64url')]) {
      const badCursor = await admin.call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?cursor=${cursor}`);
      expect(badCursor.status).toBe(400);
      expect(await json(badCursor)).toMatchObject({ errors: [{ field: 'cursor' }] });
    }
  });

  it('audits every mutating route (sign-in writes its own entry)', () => {
    const unaudited: string[] = [];
    const controllers = ADMIN_CONTROLLERS;
    for (const controller of controllers) {
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as unknown as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined || method === RequestMethod.GET || name === 'signIn') continue;
        if (!Reflect.getMetadata(AUDITED, handler)) unaudited.push(`${controller.name}.${name}`);
      }
    }
    expect(unaudited).toEqual([]);
  });
});
