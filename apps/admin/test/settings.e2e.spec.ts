import { ManualClock, ProfileSettingsService, ProfilesService, RecomputeJobsService } from '@portrait/core';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

const DAY = 86_400_000;
const T0 = '2026-03-01T12:00:00.000Z';
const daysBefore = (days: number) => new Date(Date.parse(T0) - days * DAY).toISOString();

type Job = { id: string; kind: string; status: string; total: number | null; processed: number };
type Problem = { code: string; errors?: { field: string; message: string }[] };

const order = (id: string, daysAgo: number, total: number) => ({ type: 'order_placed', occurredAt: daysBefore(daysAgo), properties: { order_id: id, total }, dedupeKey: id });

describe('profile settings', () => {
  const clock = new ManualClock(T0);
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  let ana: string;
  let bo: string;

  beforeAll(async () => {
    admin = await createTestAdmin({ clock });
    ws = await admin.workspace();
    other = await admin.workspace();
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/settings`;
    await admin.ingest(ws.id, [
      person('ana', [['email', 'ana@example.org']], { city: 'Lisbon' }, { events: [order('o-1', 25, 40), order('o-2', 10, 120)] }),
      person('ana-shop', [['email', 'ana@example.org']], { city: 'Porto' }, { source: 'shop', observedAt: '2026-01-01T00:00:00.000Z' }),
      person('bo', [['email', 'bo@example.org']], { city: 'Faro' }),
    ]);
    const profiles = admin.app.get(ProfilesService);
    ana = (await profiles.findByIdentity(ws.id, 'email', 'ana@example.org'))!.id;
    bo = (await profiles.findByIdentity(ws.id, 'email', 'bo@example.org'))!.id;
  });
  afterAll(() => admin?.close());

  const profile = (id: string) => admin.app.get(ProfilesService).get(ws.id, id);
  const liveProfiles = async () => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`, [ws.id]))[0].n as number;
  const stored = (workspaceId = ws.id) => admin.app.get(ProfileSettingsService).stored(workspaceId);
  /** What the worker does on its schedule: run the due jobs. */
  const runJobs = () => admin.app.get(RecomputeJobsService).runDue();
  const expectFields = async (response: Response, fields: string[]) => {
    expect(response.status).toBe(400);
    const problem = await json<Problem>(response);
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors!.map((e) => e.field)).toEqual(expect.arrayContaining(fields));
  };

  describe('identity rules', () => {
    it('reads the rules in force (the defaults at first), for viewers too', async () => {
      const response = await admin.call(viewer, `${base}/identity`);
      expect(response.status).toBe(200);
      const body = await json<{ types: Record<string, { priority: number; limit: number }>; blockedValues: string[]; defaultRegion: string }>(response);
      expect(body.types.email).toEqual({ priority: 2, limit: 5 });
      expect(body.blockedValues).toContain('test@test.com');
      expect(body.defaultRegion).toBe('US');
      expect(body).toMatchObject({ nameGuard: ['email', 'phone', 'name_postal_code'], matchKeys: [] });
    });

    it('turns a match key on and the name check off: what is resolved from then on follows them', async () => {
      const own = ws;
      const url = `${base}/identity`;
      const patch = await admin.call(editor, url, { method: 'PATCH', body: { matchKeys: ['name_postal_code'] } });
      expect(patch.status).toBe(200);
      expect(await json(patch)).toMatchObject({ matchKeys: ['name_postal_code'], nameGuard: ['email', 'phone', 'name_postal_code'] });
      // A shop's customer and a newsletter's member who share no e-mail or phone, under one name at one address.
      await admin.ingest(own.id, [person('shop-1', [['email', 'ines.moura@mail.pt']], { first_name: 'Inês', last_name: 'Moura', postal_code: '4700-123' })]);
      await admin.ingest(own.id, [person('news-1', [['email', 'imoura@work.pt']], { first_name: 'Ines', last_name: 'Mourra', postal_code: '4700-123 ' })]);
      const profiles = admin.app.get(ProfilesService);
      const ines = (await profiles.findByIdentity(own.id, 'email', 'imoura@work.pt'))!;
      expect(ines.id).toBe((await profiles.findByIdentity(own.id, 'email', 'ines.moura@mail.pt'))!.id);
      expect(ines.identities.map((i) => [i.type, i.value])).toContainEqual(['name_postal_code', 'M600:i:4700-123']);
      // Another first name of the same initial at that address is another person: the key is hers, the match refused.
      expect(await admin.ingest(own.id, [person('news-2', [['email', 'isabel@mail.pt']], { first_name: 'Isabel', last_name: 'Moura', postal_code: '4700-123' })])).toMatchObject({ created: 1, conflicts: 1 });
      expect((await profiles.findByIdentity(own.id, 'email', 'isabel@mail.pt'))!.id).not.toBe(ines.id);

      // Without the name check, a household e-mail joins whoever uses it.
      expect((await admin.call(editor, url, { method: 'PATCH', body: { nameGuard: [] } })).status).toBe(200);
      expect(await admin.ingest(own.id, [person('news-3', [['email', 'ines.moura@mail.pt']], { first_name: 'Rita' })])).toMatchObject({ created: 0, conflicts: 0 });
      expect((await admin.call(editor, url, { method: 'PUT', body: {} })).status).toBe(200);
    });

    it('replaces the overrides (PUT) and changes them field by field (PATCH), audited', async () => {
      const put = await admin.call(editor, `${base}/identity`, { method: 'PUT', body: { types: { loyalty_card_id: { priority: 1, limit: 1 } }, defaultRegion: 'PT' } });
      expect(put.status).toBe(200);
      expect(await json(put)).toMatchObject({ types: { loyalty_card_id: { priority: 1, limit: 1 }, email: { priority: 2, limit: 5 } }, defaultRegion: 'PT' });

      const patch = await admin.call(editor, `${base}/identity`, {
        method: 'PATCH',
        body: { types: { email: { priority: 2, limit: 3 }, loyalty_card_id: null }, blockedValues: ['nobody@example.org'] },
      });
      expect(patch.status).toBe(200);
      const body = await json<{ types: Record<string, unknown>; blockedValues: string[]; defaultRegion: string }>(patch);
      expect(body.types.email).toEqual({ priority: 2, limit: 3 });
      expect(body.types.loyalty_card_id).toBeUndefined();
      expect(body).toMatchObject({ blockedValues: ['nobody@example.org'], defaultRegion: 'PT' });
      expect((await stored()).identity).toEqual({ types: { email: { priority: 2, limit: 3 } }, blockedValues: ['nobody@example.org'], defaultRegion: 'PT' });

      // The new rules apply to what is resolved from now on: the blocked value never matches.
      await admin.ingest(ws.id, [person('blocked', [['email', 'nobody@example.org']], { city: 'Braga' })]);
      expect(await admin.app.get(ProfilesService).findByIdentity(ws.id, 'email', 'nobody@example.org')).toBeUndefined();
    });

    it('refuses bad input with 400 naming each field, and stores nothing', async () => {
      const before = await stored();
      const cases: [string, unknown, string[]][] = [
        ['PUT', { types: { email: { priority: 1, limit: 0 } } }, ['types.email.limit']],
        ['PUT', { fallback: { priority: 'high', limit: 5 } }, ['fallback.priority']],
        ['PUT', { defaultRegion: 'portugal' }, ['defaultRegion']],
        ['PATCH', { blockedValues: ['ok', ''] }, ['blockedValues.1']],
        ['PATCH', { types: { email: { priority: 1.5, limit: 2 } } }, ['types.email.priority']],
        ['PATCH', { blockedValues: 'none' }, ['blockedValues']],
        ['PATCH', { matchKeys: ['name_birthday'] }, ['matchKeys.0']],
        ['PUT', { nameGuard: ['E-mail'] }, ['nameGuard.0']],
      ];
      for (const [method, body, fields] of cases) await expectFields(await admin.call(editor, `${base}/identity`, { method, body }), fields);
      expect((await admin.call(editor, `${base}/identity`, { method: 'PUT', body: { colour: 'blue' } })).status).toBe(400);
      expect(await stored()).toEqual(before);
    });
  });

  describe('trait precedence', () => {
    it('replaces the precedence and backfills existing profiles with it', async () => {
      // The newest observation wins while no rule says otherwise.
      expect((await profile(ana)).traits.city).toBe('Lisbon');
      const put = await admin.call(editor, `${base}/trait-precedence`, { method: 'PUT', body: { traits: { city: ['shop', 'crm'] } } });
      expect(put.status).toBe(200);
      const body = await json<{ traits: Record<string, string[]>; job: Job }>(put);
      expect(body.traits).toEqual({ city: ['shop', 'crm'] });
      expect(body.job).toMatchObject({ kind: 'backfill', status: 'queued', processed: 0 });

      await runJobs();
      expect((await profile(ana)).traits.city).toBe('Porto');
      const job = await json<Job>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/jobs/${body.job.id}`));
      const n = await liveProfiles();
      expect(job).toMatchObject({ status: 'succeeded', total: n, processed: n });
    });

    it('changes one trait\'s rule (PATCH), drops one with null; an unchanged precedence queues nothing', async () => {
      const patch = await json<{ traits: Record<string, string[]>; job: Job | null }>(
        await admin.call(editor, `${base}/trait-precedence`, { method: 'PATCH', body: { traits: { first_name: ['crm'] } } }),
      );
      expect(patch.traits).toEqual({ city: ['shop', 'crm'], first_name: ['crm'] });
      expect(patch.job).not.toBeNull();
      const same = await json<{ job: Job | null }>(await admin.call(editor, `${base}/trait-precedence`, { method: 'PUT', body: { traits: patch.traits } }));
      expect(same.job).toBeNull();
      const dropped = await json<{ traits: Record<string, string[]> }>(await admin.call(editor, `${base}/trait-precedence`, { method: 'PATCH', body: { traits: { first_name: null } } }));
      expect(dropped.traits).toEqual({ city: ['shop', 'crm'] });
      expect(await json(await admin.call(viewer, `${base}/trait-precedence`))).toEqual({ traits: { city: ['shop', 'crm'] } });
      await runJobs();
    });

    it('refuses bad input naming the field, and stores nothing', async () => {
      const before = await stored();
      await expectFields(await admin.call(editor, `${base}/trait-precedence`, { method: 'PUT', body: { traits: { city: [] } } }), ['traits.city']);
      await expectFields(await admin.call(editor, `${base}/trait-precedence`, { method: 'PUT', body: { traits: { city: ['Not A Source'] } } }), ['traits.city.0']);
      await expectFields(await admin.call(editor, `${base}/trait-precedence`, { method: 'PATCH', body: { traits: { city: 'shop' } } }), ['traits.city']);
      await expectFields(await admin.call(editor, `${base}/trait-precedence`, { method: 'PUT', body: {} }), ['traits']);
      expect(await stored()).toEqual(before);
    });
  });

  describe('computed traits', () => {
    const bigOrders = { key: 'big_orders_count', aggregation: 'count', event: 'order_placed', where: [{ property: 'total', op: 'gte', value: 100 }] };
    const recentOrders = { key: 'orders_last_30_days', aggregation: 'count', event: 'order_placed', within: 'P30D' };

    it('lists the built-in definitions', async () => {
      const body = await json<{ definitions: { key: string; origin: string }[] }>(await admin.call(viewer, `${base}/computed-traits`));
      expect(body.definitions).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'days_since_last_order', origin: 'built-in' })]));
    });

    it('backfills a new definition for every existing profile, with its progress readable from the jobs route', async () => {
      expect((await profile(ana)).computed.big_orders_count).toBeUndefined();
      const put = await admin.call(editor, `${base}/computed-traits`, { method: 'PUT', body: { definitions: [bigOrders, recentOrders] } });
      expect(put.status).toBe(200);
      const body = await json<{ definitions: { key: string; origin: string }[]; job: Job }>(put);
      expect(body.definitions).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'big_orders_count', origin: 'workspace' }), expect.objectContaining({ key: 'orders_count', origin: 'built-in' })]));
      expect(body.job).toMatchObject({ kind: 'backfill', status: 'queued', total: null });
      const jobPath = `/admin/api/workspaces/${ws.slug}/jobs/${body.job.id}`;
      expect(await json(await admin.call(viewer, jobPath))).toMatchObject({ status: 'queued' });

      expect(await runJobs()).toBe(1);
      const done = await json<Job>(await admin.call(viewer, jobPath));
      expect(done).toMatchObject({ status: 'succeeded', total: await liveProfiles(), processed: await liveProfiles() });
      expect((await profile(ana)).computed).toMatchObject({ big_orders_count: 1, orders_last_30_days: 2, orders_count: 2 });
      expect((await profile(bo)).computed).toMatchObject({ big_orders_count: 0, orders_last_30_days: 0 });
    });

    it('sets and removes definitions by key (PATCH); refuses to remove one the workspace does not have', async () => {
      const redefined = { ...bigOrders, where: [{ property: 'total', op: 'gte', value: 30 }] };
      const patch = await json<{ definitions: { key: string }[]; job: Job }>(
        await admin.call(editor, `${base}/computed-traits`, { method: 'PATCH', body: { set: [redefined], remove: ['orders_last_30_days'] } }),
      );
      expect(patch.definitions.map((d) => d.key)).toContain('big_orders_count');
      expect(patch.definitions.map((d) => d.key)).not.toContain('orders_last_30_days');
      await runJobs();
      expect((await profile(ana)).computed.big_orders_count).toBe(2);
      expect((await stored()).computedTraits?.map((d) => d.key)).toEqual(['big_orders_count']);

      const before = await stored();
      await expectFields(await admin.call(editor, `${base}/computed-traits`, { method: 'PATCH', body: { remove: ['orders_count'] } }), ['remove.0']);
      expect(await stored()).toEqual(before);
    });

    it('refuses bad definitions naming the field, and stores nothing', async () => {
      const before = await stored();
      const cases: [unknown, string[]][] = [
        [{ definitions: [{ ...bigOrders, aggregation: 'median' }] }, ['definitions.0.aggregation']],
        [{ definitions: [{ key: 'revenue', aggregation: 'sum', event: 'order_placed' }] }, ['definitions.0.property']],
        [{ definitions: [bigOrders, { ...bigOrders }] }, ['definitions.1.key']],
        [{ definitions: [{ ...bigOrders, within: '30 days' }] }, ['definitions.0.within']],
        [{ definitions: [{ ...bigOrders, key: 'Big Orders' }] }, ['definitions.0.key']],
        [{ definitions: [{ ...bigOrders, where: [{ property: 'total', op: 'gte' }] }] }, ['definitions.0.where.0.value']],
      ];
      for (const [body, fields] of cases) await expectFields(await admin.call(editor, `${base}/computed-traits`, { method: 'PUT', body }), fields);
      await expectFields(await admin.call(editor, `${base}/computed-traits`, { method: 'PATCH', body: { set: [{ ...bigOrders, event: 'Order Placed' }] } }), ['set.0.event']);
      expect(await stored()).toEqual(before);
      const [{ n }] = await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM recompute_jobs WHERE workspace_id = $1 AND status = 'queued'`, [ws.id]);
      expect(n).toBe(0);
    });

    it('keeps clock-relative values of idle profiles current: the scheduled refresh moves days_since_last_order and windows with the clock', async () => {
      await admin.call(editor, `${base}/computed-traits`, { method: 'PATCH', body: { set: [recentOrders] } });
      await runJobs();
      expect((await profile(ana)).computed).toMatchObject({ days_since_last_order: 10, orders_last_30_days: 2 });

      // Ana does nothing for 10 days: her older order leaves the 30-day window.
      clock.advance(10 * DAY);
      expect((await profile(ana)).computed.days_since_last_order).toBe(10);
      const queued = await admin.app.get(RecomputeJobsService).queueClockRefreshes();
      expect(queued).toContain(ws.id);
      await runJobs();
      expect((await profile(ana)).computed).toMatchObject({ days_since_last_order: 20, orders_last_30_days: 1 });

      clock.advance(3 * DAY);
      await admin.app.get(RecomputeJobsService).queueClockRefreshes();
      await runJobs();
      expect((await profile(ana)).computed.days_since_last_order).toBe(23);
      const [refresh] = await admin.db.dataSource.query(`SELECT status, total, processed FROM recompute_jobs WHERE workspace_id = $1 AND kind = 'clock_refresh' ORDER BY created_at DESC LIMIT 1`, [ws.id]);
      // Only the profiles having events are refreshed: Bo has none.
      expect(refresh).toEqual({ status: 'succeeded', total: 1, processed: 1 });
    });
  });

  describe('access', () => {
    const routes: [string, string, unknown][] = [
      ['PUT', 'identity', { defaultRegion: 'BR' }],
      ['PATCH', 'identity', { defaultRegion: 'BR' }],
      ['PUT', 'trait-precedence', { traits: { city: ['crm'] } }],
      ['PATCH', 'trait-precedence', { traits: { city: ['crm'] } }],
      ['PUT', 'computed-traits', { definitions: [] }],
      ['PATCH', 'computed-traits', { remove: ['big_orders_count'] }],
    ];

    it('refuses viewers every change (403), changing nothing', async () => {
      const before = await stored();
      for (const [method, part, body] of routes) {
        const response = await admin.call(viewer, `${base}/${part}`, { method, body });
        expect({ method, part, status: response.status }).toEqual({ method, part, status: 403 });
        expect(await json(response)).toMatchObject({ code: 'ROLE_REQUIRED' });
      }
      expect(await stored()).toEqual(before);
    });

    it('answers 401 without a session or token, on every route', async () => {
      for (const [method, part, body] of [...routes, ['GET', 'identity'], ['GET', 'trait-precedence'], ['GET', 'computed-traits']] as [string, string, unknown][]) {
        const response = await admin.call(undefined, `${base}/${part}`, { method, body });
        expect({ method, part, status: response.status }).toEqual({ method, part, status: 401 });
      }
      const [job] = await admin.db.dataSource.query(`SELECT id FROM recompute_jobs WHERE workspace_id = $1 LIMIT 1`, [ws.id]);
      expect((await admin.call(undefined, `/admin/api/workspaces/${ws.slug}/jobs/${job.id}`)).status).toBe(401);
    });

    it('answers 404 for another workspace\'s settings and jobs, changing nothing', async () => {
      const theirs = await admin.app.get(ProfileSettingsService).replace(other.id, { computedTraits: [{ key: 'visits', aggregation: 'count', event: 'store_visited' }] });
      const before = await stored(other.id);
      for (const [method, part, body] of routes) {
        const response = await admin.call(editor, `/admin/api/workspaces/${other.slug}/settings/${part}`, { method, body });
        expect(response.status).toBe(404);
        expect(await json(response)).toMatchObject({ code: 'WORKSPACE_NOT_FOUND' });
      }
      expect((await admin.call(editor, `/admin/api/workspaces/${other.id}/settings/identity`)).status).toBe(404);
      expect(await stored(other.id)).toEqual(before);
      const foreignJob = await admin.call(editor, `/admin/api/workspaces/${ws.slug}/jobs/${theirs.backfillJobId}`);
      expect(foreignJob.status).toBe(404);
      expect(await json(foreignJob)).toMatchObject({ code: 'JOB_NOT_FOUND' });
      expect((await admin.call(editor, `/admin/api/workspaces/${ws.slug}/jobs/not-a-uuid`)).status).toBe(404);
    });

    it('writes every change to the audit log', async () => {
      const owner = await admin.session(ws.id, 'owner');
      const log = await json<{ data: { action: string; target: { type: string; id: string } }[] }>(await admin.call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?limit=200`));
      const actions = log.data.map((e) => e.action);
      for (const action of ['settings.identity.replace', 'settings.identity.update', 'settings.trait_precedence.replace', 'settings.trait_precedence.update', 'settings.computed_traits.replace', 'settings.computed_traits.update']) {
        expect(actions).toContain(action);
      }
      expect(log.data.find((e) => e.action === 'settings.identity.replace')!.target).toEqual({ type: 'workspace', id: ws.id });
    });
  });
});
