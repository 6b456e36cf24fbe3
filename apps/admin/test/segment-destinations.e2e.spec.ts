import { SegmentEditorService, SourcesService } from '@portrait/core';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';
import { connectorsWithDestination, pushed, tagger } from './support/test-destination.js';

type Destination = {
  sourceId: string;
  source: { name: string; connectorId: string };
  lastPush: { at: string; outcome: string; entered: number; exited: number; synced: number; skipped: number; error: string | null } | null;
  options: Record<string, unknown>;
  pending: { members: number; since: string | null };
  nextAttemptAt: string | null;
  failedAttempts: number;
};

describe('segment destinations', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let segment: string;
  let base: string;
  let tags: string;
  let csv: string;
  let theirs: string;
  let theirSegment: string;
  const brazil = { trait: 'country', op: 'eq', value: 'BR' };
  const connections = async () => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM segment_destinations`))[0].n as number;

  beforeAll(async () => {
    admin = await createTestAdmin({ connectors: connectorsWithDestination });
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    await admin.ingest(ws.id, [person('ana', [['email', 'ana@example.org']], { country: 'BR' })]);
    const sources = admin.app.get(SourcesService);
    tags = (await sources.create(ws.id, { connectorId: 'tagger', name: 'Tags', config: { list: 'vip' } })).id;
    csv = (await sources.create(ws.id, { connectorId: 'csv', name: 'People', config: { directory: '/tmp', mapping: { identities: { 'E-mail': 'email' } } }, enabled: false })).id;
    theirs = (await sources.create(other.id, { connectorId: 'tagger', name: 'Their tags', config: { list: 'theirs' } })).id;
    segment = (await admin.app.get(SegmentEditorService).create(ws.id, { name: 'Brazil', condition: brazil })).id;
    theirSegment = (await admin.app.get(SegmentEditorService).create(other.id, { name: 'Theirs', condition: brazil })).id;
    base = `/admin/api/workspaces/${ws.slug}/segments/${segment}/destinations`;
  });
  afterAll(() => admin?.close());

  it('connects a destination (idempotently), pushes the current members to it, then shows what the last push of the segment\'s changes did', async () => {
    const connected = await admin.call(editor, `${base}/${tags}`, { method: 'PUT' });
    expect(connected.status).toBe(200);
    expect(await json(connected)).toMatchObject({
      sourceId: tags,
      source: { name: 'Tags', connectorId: 'tagger', enabled: true, status: 'ok' },
      options: {},
      lastPush: null,
      pending: { members: 1 },
      failedAttempts: 0,
    });
    expect((await admin.call(editor, `${base}/${tags}`, { method: 'PUT' })).status).toBe(200);
    expect(await connections()).toBe(1);
    const first = await admin.call(editor, `${base}/${tags}/push`, { method: 'POST' });
    expect(first.status).toBe(200);
    expect(await json(first)).toMatchObject({ sourceId: tags, lastPush: { outcome: 'succeeded', entered: 1, exited: 0 }, pending: { members: 0, since: null }, nextAttemptAt: null });
    expect([...tagger.held.get('vip/brazil')!]).toEqual(['ana@example.org']);

    // Bia enters the segment: she is pushed; a member without an e-mail is skipped.
    await admin.ingest(ws.id, [person('bia', [['email', 'bia@example.org']], { country: 'BR' }), person('caio', [['phone', '+5511912345678']], { country: 'BR' })]);
    const pushedAll = await admin.call(editor, `${base}/push`, { method: 'POST' });
    expect(pushedAll.status).toBe(200);
    expect(pushed).toContainEqual({ key: 'brazil', entered: expect.arrayContaining(['bia@example.org', '-']), exited: [] });
    const listed = await json<{ data: Destination[] }>(await admin.call(viewer, base));
    expect(listed.data).toEqual([expect.objectContaining({ sourceId: tags, lastPush: expect.objectContaining({ outcome: 'succeeded', entered: 2, exited: 0, synced: 1, skipped: 1, error: null }) })]);
    expect((await json<{ data: Destination[] }>(pushedAll)).data).toEqual(listed.data);
  });

  it('keeps a failed push pending with its reason, retries it on demand, and brings the destination to the current members', async () => {
    tagger.failures = 2;
    await admin.ingest(ws.id, [person('dora', [['email', 'dora@example.org']], { country: 'BR' }), person('bia', [['email', 'bia@example.org']], { country: 'AR' })]);
    const failed = await json<Destination>(await admin.call(editor, `${base}/${tags}/push`, { method: 'POST' }));
    expect(failed).toMatchObject({ lastPush: { outcome: 'failed', entered: 1, exited: 1, synced: 0, error: expect.stringContaining('HTTP 503') }, pending: { members: 2 }, failedAttempts: 1 });
    expect(Date.parse(failed.nextAttemptAt!)).toBeGreaterThan(Date.parse(failed.lastPush!.at));
    expect(failed.pending.since).not.toBeNull();
    // Meanwhile Dora leaves again and Eli enters: the recovery push holds only what is true now.
    await admin.ingest(ws.id, [person('dora', [['email', 'dora@example.org']], { country: 'PT' }), person('eli', [['email', 'eli@example.org']], { country: 'BR' })]);
    const metrics = await (await fetch(`${admin.base}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^portrait_segment_destination_pending_members\\{[^}]*segment="${segment}",destination="${tags}"[^}]*\\} 3$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^portrait_segment_destination_oldest_pending_seconds\\{[^}]*segment="${segment}",destination="${tags}"[^}]*\\} [0-9.e-]+$`, 'm'));
    expect((await json<Destination>(await admin.call(editor, `${base}/${tags}/push`, { method: 'POST' }))).failedAttempts).toBe(2);
    const recovered = await json<Destination>(await admin.call(editor, `${base}/${tags}/push`, { method: 'POST' }));
    expect(recovered).toMatchObject({ lastPush: { outcome: 'succeeded', entered: 1, exited: 1, error: null }, pending: { members: 0 }, failedAttempts: 0 });
    expect([...tagger.held.get('vip/brazil')!].sort()).toEqual(['ana@example.org', 'eli@example.org']);
    expect(await (await fetch(`${admin.base}/metrics`)).text()).not.toMatch(new RegExp(`destination="${tags}"`));
  });

  it('keeps a refused push\'s reason on the connection', async () => {
    const refusing = (await admin.app.get(SourcesService).create(ws.id, { connectorId: 'tagger', name: 'Refusing', config: { list: 'refused' } })).id;
    expect((await admin.call(editor, `${base}/${refusing}`, { method: 'PUT' })).status).toBe(200);
    await admin.ingest(ws.id, [person('fia', [['email', 'fia@example.org']], { country: 'BR' })]);
    expect((await admin.call(editor, `${base}/push`, { method: 'POST' })).status).toBe(200);
    const listed = await json<{ data: Destination[] }>(await admin.call(viewer, base));
    expect(listed.data.find((d) => d.sourceId === refusing)).toMatchObject({ lastPush: { outcome: 'failed', synced: 0, error: expect.stringContaining('refused the push') }, failedAttempts: 1 });
    expect(listed.data.find((d) => d.sourceId === tags)).toMatchObject({ lastPush: { outcome: 'succeeded', entered: 1, error: null }, pending: { members: 0 } });
    expect((await admin.call(editor, `${base}/${refusing}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses a source that cannot receive segments (400 naming sourceId), viewers (403), anonymous callers (401), storing nothing', async () => {
    const before = await connections();
    const notDestination = await admin.call(editor, `${base}/${csv}`, { method: 'PUT' });
    expect(notDestination.status).toBe(400);
    expect(await json(notDestination)).toMatchObject({ code: 'INVALID_DESTINATION', errors: [{ field: 'sourceId' }] });
    expect((await admin.call(viewer, `${base}/${tags}`, { method: 'DELETE' })).status).toBe(403);
    expect((await admin.call(viewer, `${base}/${tags}/push`, { method: 'POST' })).status).toBe(403);
    expect((await admin.call(viewer, `${base}/push`, { method: 'POST' })).status).toBe(403);
    expect((await admin.call(undefined, `${base}/push`, { method: 'POST' })).status).toBe(401);
    const byViewer = await admin.call(viewer, `${base}/${csv}`, { method: 'PUT' });
    expect(byViewer.status).toBe(403);
    expect(await json(byViewer)).toMatchObject({ code: 'ROLE_REQUIRED' });
    expect((await admin.call(undefined, `${base}/${tags}`, { method: 'PUT' })).status).toBe(401);
    expect((await admin.call(undefined, base)).status).toBe(401);
    expect(await connections()).toBe(before);
  });

  it('answers 404 for another workspace\'s sources and segments, connecting and disconnecting nothing', async () => {
    const before = await connections();
    for (const [method, path] of [
      ['PUT', `${base}/${theirs}`],
      ['PUT', `${base}/not-a-uuid`],
      ['DELETE', `${base}/${theirs}`],
      ['GET', `/admin/api/workspaces/${ws.slug}/segments/${theirSegment}/destinations`],
      ['PUT', `/admin/api/workspaces/${ws.slug}/segments/${theirSegment}/destinations/${tags}`],
      ['PUT', `/admin/api/workspaces/${other.slug}/segments/${theirSegment}/destinations/${theirs}`],
      ['POST', `${base}/${theirs}/push`],
      ['POST', `${base}/${csv}/push`],
      ['POST', `${base}/not-a-uuid/push`],
      ['POST', `/admin/api/workspaces/${ws.slug}/segments/${theirSegment}/destinations/push`],
    ] as const) {
      const response = await admin.call(editor, path, { method });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    expect(await connections()).toBe(before);
  });

  it('disconnects a destination (204), dropping its pending pushes: nothing more is pushed to it; a second time is a 404', async () => {
    tagger.failures = 1;
    await admin.ingest(ws.id, [person('gil', [['email', 'gil@example.org']], { country: 'BR' })]);
    expect(await json(await admin.call(editor, `${base}/${tags}/push`, { method: 'POST' }))).toMatchObject({ pending: { members: 1 }, lastPush: { outcome: 'failed' } });
    expect((await admin.call(editor, `${base}/${tags}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM segment_destination_pending WHERE source_id = $1`, [tags]))[0].n).toBe(0);
    const again = await admin.call(editor, `${base}/${tags}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await json(again)).toMatchObject({ code: 'DESTINATION_NOT_FOUND' });
    expect((await json<{ data: Destination[] }>(await admin.call(viewer, base))).data).toEqual([]);
    const pushes = pushed.length;
    await admin.ingest(ws.id, [person('eva', [['email', 'eva@example.org']], { country: 'BR' })]);
    expect((await admin.call(editor, `${base}/push`, { method: 'POST' })).status).toBe(200);
    expect(pushed).toHaveLength(pushes);
    expect([...tagger.held.get('vip/brazil')!]).not.toContain('gil@example.org');
  });

  it('connects a Mailchimp source with an audience and a tag, refuses a bad audience or an empty tag naming the field (400) and changes nothing, and replaces the options when connected again', async () => {
    const mailchimp = (
      await admin.app.get(SourcesService).create(ws.id, {
        connectorId: 'mailchimp',
        name: 'Newsletter',
        config: { apiKey: `${'0'.repeat(32)}-us6`, audienceIds: ['a1b2c3d4e5', 'f6e5d4c3b2'] },
        enabled: false,
      })
    ).id;
    const url = `${base}/${mailchimp}`;
    const stored = async () => (await admin.db.dataSource.query(`SELECT options FROM segment_destinations WHERE source_id = $1`, [mailchimp])).map((r: { options: unknown }) => r.options);
    const pendingRows = async () => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM segment_destination_pending WHERE source_id = $1`, [mailchimp]))[0].n as number;

    const refusals = [
      [{ options: { audienceId: 'ffffffffff' } }, 'options.audienceId', "must be one of the source's audiences: a1b2c3d4e5, f6e5d4c3b2"],
      [{ options: { audienceId: 'not an id!' } }, 'options.audienceId', expect.stringContaining('must be an audience id')],
      [{ options: { tag: '' } }, 'options.tag', 'must not be empty'],
      [{ options: { tag: 'x'.repeat(101) } }, 'options.tag', expect.stringContaining('at most 100 characters')],
    ] as const;
    for (const [body, field, message] of refusals) {
      const refused = await admin.call(editor, url, { method: 'PUT', body });
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
      expect(await json(refused)).toMatchObject({ code: 'INVALID_DESTINATION', errors: [{ field, message }] });
    }
    const notAnObject = await admin.call(editor, url, { method: 'PUT', body: { options: 'spring-vip' } });
    expect(notAnObject.status).toBe(400);
    expect(await json(notAnObject)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'options', message: 'must be an object of options' }] });
    expect(await stored()).toEqual([]);
    expect(await pendingRows()).toBe(0);

    const connected = await admin.call(editor, url, { method: 'PUT', body: { options: { audienceId: 'f6e5d4c3b2', tag: 'spring-vip' } } });
    expect(connected.status).toBe(200);
    const members = (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM segment_memberships WHERE segment_id = $1`, [segment]))[0].n as number;
    expect(members).toBeGreaterThan(0);
    expect(await json(connected)).toMatchObject({ sourceId: mailchimp, options: { audienceId: 'f6e5d4c3b2', tag: 'spring-vip' }, pending: { members } });
    // A refusal once connected changes nothing either.
    expect((await admin.call(editor, url, { method: 'PUT', body: { options: { tag: ' ' } } })).status).toBe(400);
    expect(await stored()).toEqual([{ audienceId: 'f6e5d4c3b2', tag: 'spring-vip' }]);
    const listed = await json<{ data: Destination[] }>(await admin.call(viewer, base));
    expect(listed.data.find((d) => d.sourceId === mailchimp)).toMatchObject({ options: { audienceId: 'f6e5d4c3b2', tag: 'spring-vip' } });

    // Connected again without a body: the defaults (the first audience, the segment's key).
    expect(await json(await admin.call(editor, url, { method: 'PUT' }))).toMatchObject({ options: {} });
    expect(await stored()).toEqual([{}]);
    expect((await admin.call(editor, url, { method: 'DELETE' })).status).toBe(204);
  });
});
