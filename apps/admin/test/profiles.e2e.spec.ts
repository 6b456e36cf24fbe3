import { AuditLogService, PersonasService, ProfilesService, SegmentEditorService } from '@portrait/core';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

type Profile = { id: string; kind: string; traits: Record<string, unknown>; identities: { type: string; value: string }[]; mergedFrom?: string };
type Page<T> = { data: T[]; nextCursor: string | null };
type Merge = { id: string; winnerId: string; loserId: string; reason: { source: string; externalId: string; linkedBy: unknown[]; actor?: { label: string; via: string } }; undoneAt: string | null };
type Problem = { code: string; errors?: { field: string; message: string }[] };

describe('profiles', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession & { email: string };
  let viewer: TestSession;
  let base: string;
  let ana: string;
  let bo: string;
  let anaCosta: string;
  let stranger: string;
  const lookup = (workspaceId: string, type: string, value: string) => admin.app.get(ProfilesService).findByIdentity(workspaceId, type, value);

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/profiles`;
    await admin.app.get(PersonasService).create(ws.id, { name: 'Lisbon locals', rules: [{ condition: { trait: 'city', op: 'eq', value: 'Lisbon' }, weight: 1 }] });
    await admin.ingest(ws.id, [
      person('ana', [['email', 'ana@example.org']], { first_name: 'Ana', last_name: 'Silva', city: 'Lisbon' }, {
        events: [
          { type: 'page_viewed', occurredAt: '2026-01-08T10:00:00.000Z', properties: { path: '/' } },
          { type: 'order_placed', occurredAt: '2026-01-09T10:00:00.000Z', properties: { total: 30 }, dedupeKey: 'o-1' },
        ],
        consent: [{ purpose: 'email_marketing', granted: true, at: '2026-01-09T00:00:00.000Z' }],
      }),
      person('bo', [['email', 'bo@example.org'], ['user_id', 'u-bo']], { first_name: 'Bo', last_name: 'Chen', city: 'Porto' }, { events: [{ type: 'page_viewed', occurredAt: '2026-01-07T10:00:00.000Z', properties: {} }] }),
      person('costa', [['phone', '+351912345678']], { first_name: 'Ana', last_name: 'Costa' }),
    ]);
    // A later observation: Ana moved (a trait change for the history).
    await admin.ingest(ws.id, [person('ana', [['email', 'ana@example.org']], { first_name: 'Ana', last_name: 'Silva', city: 'Lisbon', job_title: 'Chef' }, { observedAt: '2026-01-11T00:00:00.000Z' })]);
    await admin.app.get(SegmentEditorService).create(ws.id, { name: 'Lisbon', condition: { trait: 'city', op: 'eq', value: 'Lisbon' } });
    await admin.ingest(other.id, [person('theirs', [['email', 'stranger@example.org']], { first_name: 'Ana' })]);
    ana = (await lookup(ws.id, 'email', 'ana@example.org'))!.id;
    bo = (await lookup(ws.id, 'email', 'bo@example.org'))!.id;
    anaCosta = (await lookup(ws.id, 'phone', '+351912345678'))!.id;
    stranger = (await lookup(other.id, 'email', 'stranger@example.org'))!.id;
  });
  afterAll(() => admin?.close());

  describe('search', () => {
    it('finds a profile by any identity, normalized as at ingest', async () => {
      const response = await admin.call(viewer, `${base}?identity=${encodeURIComponent('email: Ana@Example.ORG ')}`);
      expect(response.status).toBe(200);
      const page = await json<Page<Profile>>(response);
      expect(page.data.map((p) => p.id)).toEqual([ana]);
      expect(page.nextCursor).toBeNull();
      expect((await json<Page<Profile>>(await admin.call(viewer, `${base}?identity=${encodeURIComponent('phone:+351 912 345 678')}`))).data.map((p) => p.id)).toEqual([anaCosta]);
      expect((await json<Page<Profile>>(await admin.call(viewer, `${base}?identity=email:nobody@example.org`))).data).toEqual([]);
      // Another workspace's people are not found.
      expect((await json<Page<Profile>>(await admin.call(viewer, `${base}?identity=email:stranger@example.org`))).data).toEqual([]);
    });

    it('finds profiles by name, case-insensitively, page by page with a cursor', async () => {
      const first = await json<Page<Profile>>(await admin.call(viewer, `${base}?name=ANA&limit=1`));
      expect(first.data).toHaveLength(1);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = await json<Page<Profile>>(await admin.call(viewer, `${base}?name=ANA&limit=1&cursor=${first.nextCursor}`));
      expect([...first.data, ...second.data].map((p) => p.id).sort()).toEqual([ana, anaCosta].sort());
      expect(second.nextCursor).toBeNull();
      expect((await json<Page<Profile>>(await admin.call(viewer, `${base}?name=${encodeURIComponent('ana  silva')}`))).data.map((p) => p.id)).toEqual([ana]);
      expect((await json<Page<Profile>>(await admin.call(viewer, `${base}?name=${encodeURIComponent('%')}`))).data).toEqual([]);
      const all = await json<Page<Profile>>(await admin.call(viewer, base));
      expect(all.data.map((p) => p.id).sort()).toEqual([ana, bo, anaCosta].sort());
    });

    it('refuses a bad search with 400 naming the field, and an anonymous caller with 401', async () => {
      for (const [query, field] of [
        ['identity=no-colon', 'identity'],
        ['identity=Email:x@example.org', 'identity'],
        ['identity=email:a@example.org&name=ana', 'name'],
        ['name=', 'name'],
        ['limit=0', 'limit'],
        ['cursor=nonsense', 'cursor'],
      ]) {
        const response = await admin.call(viewer, `${base}?${query}`);
        expect({ query, status: response.status }).toEqual({ query, status: 400 });
        expect((await json<Problem>(response)).errors?.map((e) => e.field)).toContain(field);
      }
      expect((await admin.call(undefined, base)).status).toBe(401);
    });
  });

  describe('profile 360', () => {
    it('answers identities, traits with provenance, computed traits, consent, events, segments, persona, trait history and merges', async () => {
      const response = await admin.call(viewer, `${base}/${ana}`);
      expect(response.status).toBe(200);
      const body = await json<{
        profile: Profile & { computed: Record<string, unknown>; personaId: string | null };
        traits: { traits: Record<string, { value: unknown; source: string; observedAt: string }>; observations: { source: string }[] };
        consents: { purpose: string; granted: boolean; source: string }[];
        recentEvents: { type: string }[];
        segments: { name: string }[];
        persona: { name: string; score: number } | null;
        traitHistory: { changes: Record<string, unknown> }[];
        merges: Merge[];
      }>(response);
      expect(body.profile).toMatchObject({ id: ana, kind: 'person', traits: { first_name: 'Ana', city: 'Lisbon', job_title: 'Chef' } });
      expect(body.profile.identities).toEqual([expect.objectContaining({ type: 'email', value: 'ana@example.org', source: 'crm' })]);
      expect(body.profile.computed).toMatchObject({ orders_count: 1 });
      expect(body.traits.traits.city).toMatchObject({ value: 'Lisbon', source: 'crm' });
      expect(body.traits.observations).toEqual([expect.objectContaining({ source: 'crm' })]);
      expect(body.consents).toEqual([expect.objectContaining({ purpose: 'email_marketing', granted: true, source: 'crm' })]);
      expect(body.recentEvents.map((e) => e.type)).toEqual(['order_placed', 'page_viewed']);
      expect(body.segments.map((s) => s.name)).toEqual(['Lisbon']);
      expect(body.persona).toMatchObject({ name: 'Lisbon locals', score: 1 });
      expect(body.traitHistory.some((c) => 'job_title' in c.changes)).toBe(true);
      expect(body.merges).toEqual([]);
    });

    it('pages through a profile\'s events and trait history', async () => {
      const events = await json<Page<{ type: string }>>(await admin.call(viewer, `${base}/${ana}/events?limit=1`));
      expect(events.data.map((e) => e.type)).toEqual(['order_placed']);
      const rest = await json<Page<{ type: string }>>(await admin.call(viewer, `${base}/${ana}/events?limit=1&cursor=${events.nextCursor}`));
      expect(rest.data.map((e) => e.type)).toEqual(['page_viewed']);
      expect((await json<Page<unknown>>(await admin.call(viewer, `${base}/${ana}/events?type=page_viewed`))).data).toHaveLength(1);
      const history = await json<Page<{ changes: Record<string, unknown> }>>(await admin.call(viewer, `${base}/${ana}/trait-history?trait=job_title`));
      expect(history.data).toHaveLength(1);
      expect(Object.keys(history.data[0]!.changes)).toEqual(['job_title']);
      const bad = await admin.call(viewer, `${base}/${ana}/events?limit=500`);
      expect(bad.status).toBe(400);
      expect(await json(bad)).toMatchObject({ errors: [{ field: 'limit' }] });
      expect((await admin.call(viewer, `${base}/${ana}/trait-history?cursor=x`)).status).toBe(400);
      // Cursors that decode but hold what the database cannot take are refused too, never a 500.
      const forged = (parts: unknown[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
      for (const path of [
        `events?cursor=${forged(['yesterday', '1'])}`,
        `events?cursor=${forged(['2026-01-01T00:00:00.000Z', 'x'])}`,
        `events?cursor=${forged(['2026-01-01T00:00:00.000Z', '99999999999999999999'])}`,
        `events?cursor=${forged(['2026-13-45T00:00:00.000Z', '1'])}`,
        `trait-history?cursor=${forged(['99999999999999999999'])}`,
        `trait-history?cursor=${forged(['-1'])}`,
      ]) {
        const response = await admin.call(viewer, `${base}/${ana}/${path}`);
        expect({ path, status: response.status }).toEqual({ path, status: 400 });
      }
    });

    it('answers 404 for another workspace\'s profile, an unknown id or a malformed one; 401 without a session', async () => {
      for (const path of [`${base}/${stranger}`, `${base}/${stranger}/events`, `${base}/${stranger}/trait-history`, `${base}/${stranger}/export`, `${base}/not-a-uuid`, `${base}/00000000-0000-4000-8000-000000000000`]) {
        const response = await admin.call(viewer, path);
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
        expect(await json(response)).toMatchObject({ code: 'PROFILE_NOT_FOUND' });
      }
      expect((await admin.call(undefined, `${base}/${ana}`)).status).toBe(401);
      expect((await admin.call(undefined, `${base}/${ana}/export`)).status).toBe(401);
    });
  });

  describe('merging by hand', () => {
    it('refuses viewers (403), bad input (400 naming the field) and another workspace\'s ids (404), changing nothing', async () => {
      const merges = `/admin/api/workspaces/${ws.slug}/merges`;
      const byViewer = await admin.call(viewer, merges, { method: 'POST', body: { survivorId: ana, mergedId: bo } });
      expect(byViewer.status).toBe(403);
      for (const [body, field] of [
        [{ survivorId: ana }, 'mergedId'],
        [{ survivorId: 'nope', mergedId: bo }, 'survivorId'],
        [{ survivorId: ana, mergedId: ana }, 'mergedId'],
      ] as const) {
        const response = await admin.call(editor, merges, { method: 'POST', body });
        expect({ body, status: response.status }).toEqual({ body, status: 400 });
        expect((await json<Problem>(response)).errors?.map((e) => e.field)).toContain(field);
      }
      const foreign = await admin.call(editor, merges, { method: 'POST', body: { survivorId: ana, mergedId: stranger } });
      expect(foreign.status).toBe(404);
      expect(await json(foreign)).toMatchObject({ code: 'PROFILE_NOT_FOUND' });
      expect((await admin.call(editor, `/admin/api/workspaces/${other.slug}/merges`, { method: 'POST', body: { survivorId: stranger, mergedId: ana } })).status).toBe(404);
      expect((await admin.call(undefined, merges, { method: 'POST', body: { survivorId: ana, mergedId: bo } })).status).toBe(401);
      const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM merges WHERE workspace_id = ANY($1::uuid[])`, [[ws.id, other.id]]);
      expect(n).toBe(0);
      expect((await lookup(ws.id, 'email', 'bo@example.org'))!.id).toBe(bo);
      expect((await lookup(other.id, 'email', 'stranger@example.org'))!.id).toBe(stranger);
    });

    it('refuses a merge the identity rules forbid (409) and keeps both profiles', async () => {
      await admin.ingest(ws.id, [person('cy', [['email', 'cy@example.org'], ['user_id', 'u-cy']], { first_name: 'Cy' })]);
      const cy = (await lookup(ws.id, 'email', 'cy@example.org'))!.id;
      const refused = await admin.call(editor, `/admin/api/workspaces/${ws.slug}/merges`, { method: 'POST', body: { survivorId: bo, mergedId: cy } });
      expect(refused.status).toBe(409);
      expect(await json(refused)).toMatchObject({ code: 'MERGE_IDENTITY_CONFLICT', errors: [{ field: 'mergedId', message: expect.stringContaining('user_id') }] });
      expect((await lookup(ws.id, 'user_id', 'u-cy'))!.id).toBe(cy);
    });

    it('merges the profile the admin names into the survivor they pick; the undo restores both', async () => {
      const merged = await admin.call(editor, `/admin/api/workspaces/${ws.slug}/merges`, { method: 'POST', body: { survivorId: ana, mergedId: bo } });
      expect(merged.status).toBe(201);
      const merge = await json<Merge>(merged);
      expect(merge).toMatchObject({ winnerId: ana, loserId: bo, undoneAt: null, reason: { source: 'admin', externalId: editor.email, linkedBy: [], actor: { label: editor.email, via: 'session' } } });

      // Bo's identities, events and traits are now Ana's; Bo's id answers with Ana.
      expect((await lookup(ws.id, 'email', 'bo@example.org'))!.id).toBe(ana);
      const survivor = await json<{ profile: Profile; recentEvents: unknown[]; merges: Merge[] }>(await admin.call(viewer, `${base}/${ana}`));
      expect(survivor.profile.identities.map((i) => i.value).sort()).toEqual(['ana@example.org', 'bo@example.org', 'u-bo']);
      expect(survivor.recentEvents).toHaveLength(3);
      expect(survivor.merges.map((m) => m.id)).toEqual([merge.id]);
      expect((await json<{ profile: Profile }>(await admin.call(viewer, `${base}/${bo}`))).profile).toMatchObject({ id: ana, mergedFrom: bo });
      expect((await json<Page<Profile>>(await admin.call(viewer, base))).data.map((p) => p.id)).not.toContain(bo);

      // The existing undo route undoes it like any merge.
      const undone = await admin.call(editor, `/admin/api/workspaces/${ws.slug}/merges/${merge.id}/undo`, { method: 'POST' });
      expect(undone.status).toBe(200);
      expect(await json(undone)).toEqual({ restoredProfileId: bo, survivorId: ana });
      const [restoredAna, restoredBo] = await Promise.all([
        json<{ profile: Profile; recentEvents: unknown[] }>(await admin.call(viewer, `${base}/${ana}`)),
        json<{ profile: Profile; recentEvents: unknown[] }>(await admin.call(viewer, `${base}/${bo}`)),
      ]);
      expect(restoredAna.profile.identities.map((i) => i.value)).toEqual(['ana@example.org']);
      expect(restoredAna.profile.traits).toMatchObject({ first_name: 'Ana', last_name: 'Silva' });
      expect(restoredAna.recentEvents).toHaveLength(2);
      expect(restoredBo.profile).toMatchObject({ id: bo, traits: { first_name: 'Bo', last_name: 'Chen', city: 'Porto' } });
      expect(restoredBo.profile.mergedFrom).toBeUndefined();
      expect(restoredBo.profile.identities.map((i) => i.value).sort()).toEqual(['bo@example.org', 'u-bo']);
      expect(restoredBo.recentEvents).toHaveLength(1);
      expect((await lookup(ws.id, 'user_id', 'u-bo'))!.id).toBe(bo);
    });
  });

  describe('export and erasure', () => {
    it('exports everything held on a person, viewers included', async () => {
      const response = await admin.call(viewer, `${base}/${ana}/export`);
      expect(response.status).toBe(200);
      const exported = await json<{ profileId: string; identities: { value: string }[]; events: unknown[]; consents: unknown[]; merges: unknown[] }>(response);
      expect(exported.profileId).toBe(ana);
      expect(exported.identities.map((i) => i.value)).toEqual(['ana@example.org']);
      expect(exported.events).toHaveLength(2);
      expect(exported.consents).toHaveLength(1);
      expect(exported.merges).toHaveLength(1);
    });

    it('refuses erasure to viewers (403) and another workspace\'s ids (404), erasing nothing', async () => {
      expect((await admin.call(viewer, `${base}/${ana}`, { method: 'DELETE' })).status).toBe(403);
      expect((await admin.call(editor, `${base}/${stranger}`, { method: 'DELETE' })).status).toBe(404);
      expect((await admin.call(editor, `/admin/api/workspaces/${other.slug}/profiles/${stranger}`, { method: 'DELETE' })).status).toBe(404);
      expect((await admin.call(undefined, `${base}/${ana}`, { method: 'DELETE' })).status).toBe(401);
      expect((await lookup(ws.id, 'email', 'ana@example.org'))!.id).toBe(ana);
      expect((await lookup(other.id, 'email', 'stranger@example.org'))!.id).toBe(stranger);
    });

    it('erases a person: nothing of them is reachable afterwards', async () => {
      const erased = await admin.call(editor, `${base}/${ana}`, { method: 'DELETE' });
      expect(erased.status).toBe(200);
      const report = await json<{ profileId: string; erasedProfileIds: string[]; deleted: Record<string, number> }>(erased);
      expect(report).toMatchObject({ profileId: ana, erasedProfileIds: [ana] });
      expect(report.deleted).toMatchObject({ profiles: 1, identities: 1, events: 2, consents: 1, segment_memberships: 1 });

      for (const path of [`${base}/${ana}`, `${base}/${ana}/export`, `${base}/${ana}/events`, `${base}/${ana}/trait-history`, `/admin/api/workspaces/${ws.slug}/profiles/${ana}/merges`]) {
        expect({ path, status: (await admin.call(viewer, path)).status }).toEqual({ path, status: 404 });
      }
      expect((await json<Page<Profile>>(await admin.call(viewer, `${base}?identity=email:ana@example.org`))).data).toEqual([]);
      expect((await json<Page<Profile>>(await admin.call(viewer, `${base}?name=silva`))).data).toEqual([]);
      const segments = await json<Page<{ id: string; size: number }>>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/segments`));
      expect(segments.data[0]!.size).toBe(0);
      expect((await json<Page<unknown>>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/segments/${segments.data[0]!.id}/members`))).data).toEqual([]);
      const personas = await json<Page<{ size: number }>>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/personas`));
      expect(personas.data[0]!.size).toBe(0);
      // Not a row of theirs is left in any table that holds people.
      const [left] = await admin.db.dataSource.query(
        `SELECT (SELECT count(*) FROM profiles WHERE id = $1)::int + (SELECT count(*) FROM identities WHERE profile_id = $1 OR origin_profile_id = $1 OR value = 'ana@example.org')::int
              + (SELECT count(*) FROM events WHERE profile_id = $1 OR origin_profile_id = $1)::int + (SELECT count(*) FROM consents WHERE profile_id = $1)::int
              + (SELECT count(*) FROM source_records WHERE profile_id = $1 OR origin_profile_id = $1)::int + (SELECT count(*) FROM trait_changes WHERE profile_id = $1)::int
              + (SELECT count(*) FROM merges WHERE winner_id = $1 OR loser_id = $1)::int + (SELECT count(*) FROM segment_memberships WHERE profile_id = $1)::int
              + (SELECT count(*) FROM segment_membership_events WHERE profile_id = $1)::int AS n`,
        [ana],
      );
      expect(left.n).toBe(0);
      // Bo, once merged into Ana and restored, is untouched.
      expect((await lookup(ws.id, 'email', 'bo@example.org'))!.id).toBe(bo);
    });

    it('audits every read of personal data and every change, with the caller', async () => {
      const { data } = await admin.app.get(AuditLogService).list(ws.id, { limit: 200 });
      const actions = new Set(data.map((e) => e.action));
      for (const action of ['profile.search', 'profile.read', 'profile.events.read', 'profile.trait_history.read', 'profile.export', 'profile.erase', 'merge.create', 'merge.undo']) {
        expect({ action, audited: actions.has(action) }).toEqual({ action, audited: true });
      }
      expect(data.find((e) => e.action === 'profile.erase')).toMatchObject({ actor: { label: editor.email, via: 'session' }, target: { type: 'profile', id: ana } });
      expect(data.find((e) => e.action === 'merge.create')).toMatchObject({ target: { type: 'merge', id: expect.any(String) } });
    });
  });
});
