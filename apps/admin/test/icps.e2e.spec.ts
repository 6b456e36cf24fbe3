import { IcpsService } from '@portrait/core';
import type { ProfileFactInput } from '@portrait/connector-sdk';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

type Icp = { id: string; name: string; key: string; description: string | null; criteria: unknown[]; threshold: number; version: number; accounts: number; qualified: number };
type Problem = { code: string; errors: { field: string; message: string }[] };
type AuditEntry = { action: string; target: { type: string; id: string } | null };

const account = (domain: string, traits: Record<string, unknown>): ProfileFactInput => ({
  source: 'crm',
  externalId: domain,
  kind: 'account',
  identities: [{ type: 'domain', value: domain }],
  traits,
  observedAt: '2026-01-10T00:00:00.000Z',
});
const member = (name: string, domain: string, pageViews: number) =>
  person(name, [['email', `${name}@example.org`]], { first_name: name }, {
    account: { identities: [{ type: 'domain', value: domain }] },
    events: Array.from({ length: pageViews }, (_, i) => ({ type: 'page_viewed', occurredAt: '2026-01-09T00:00:00.000Z', properties: { path: `/${i}` }, dedupeKey: `${name}-${i}` })),
  });

describe('ideal customer profiles', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let owner: TestSession;
  let editor: TestSession;
  let viewer: TestSession;
  let base: string;
  const software = { trait: 'industry', op: 'eq', value: 'software' };
  const midSized = { trait: 'employee_count', op: 'between', value: [50, 1000] };
  const twoActive = { kind: 'people', condition: { event: 'page_viewed', count: { op: 'gte', value: 2 } }, minPeople: 2, weight: 2 };

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    owner = await admin.session(ws.id, 'owner');
    editor = await admin.session(ws.id, 'admin');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/icps`;
    await admin.ingest(ws.id, [
      account('acme.example', { industry: 'software', employee_count: 250 }),
      account('beta.example', { industry: 'software', employee_count: 12 }),
      account('gamma.example', { industry: 'retail', employee_count: 300 }),
    ]);
    await admin.ingest(ws.id, [member('ana', 'acme.example', 2), member('bob', 'acme.example', 3), member('cy', 'beta.example', 5)]);
  });
  afterAll(() => admin?.close());

  const count = async (workspaceId: string) => (await admin.db.dataSource.query(`SELECT count(*)::int AS n FROM icps WHERE workspace_id = $1 AND deleted_at IS NULL`, [workspaceId]))[0].n as number;
  const profileOf = async (type: string, value: string) => {
    const found = await json<{ data: { id: string }[] }>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles?identity=${type}:${encodeURIComponent(value)}`));
    return found.data[0]!.id;
  };

  it('creates an ICP (201): accounts are scored before the answer; the profile 360 shows the fits', async () => {
    const created = await admin.call(editor, base, {
      method: 'POST',
      body: { name: 'Mid-market software', description: 'Software, 50–1000 people, an active team', threshold: 60, criteria: [{ condition: software, weight: 3, label: 'software' }, { condition: midSized, weight: 1 }, twoActive] },
    });
    expect(created.status).toBe(201);
    // Total 6: acme 3 + 1 + 2 → 100; beta 3 → 50; gamma 1 → 17.
    expect(await json(created)).toMatchObject({ name: 'Mid-market software', key: 'mid-market-software', threshold: 60, version: 1, accounts: 3, qualified: 1 });

    const acme = await json<{ profile: { icpFit: number; icpQualified: boolean; icpScores: unknown[] } }>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles/${await profileOf('domain', 'acme.example')}`));
    expect(acme.profile).toMatchObject({ icpFit: 100, icpQualified: true, icpScores: [{ icp: 'mid-market-software', name: 'Mid-market software', score: 100, qualified: true, threshold: 60 }] });
    const cy = await json<{ profile: { icpFit: number; icpQualified: boolean; icpAccountId: string } }>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles/${await profileOf('email', 'cy@example.org')}`));
    expect(cy.profile).toMatchObject({ icpFit: 50, icpQualified: false, icpAccountId: await profileOf('domain', 'beta.example') });
  });

  it('answers the score distribution and the scored accounts, best first, page by page', async () => {
    const [icp] = (await json<{ data: Icp[] }>(await admin.call(viewer, base))).data;
    const distribution = await json<{ accounts: number; qualified: number; buckets: { from: number; accounts: number }[] }>(await admin.call(viewer, `${base}/${icp!.id}/distribution`));
    expect(distribution).toMatchObject({ icp: 'mid-market-software', threshold: 60, accounts: 3, qualified: 1 });
    expect(distribution.buckets.filter((b) => b.accounts).map((b) => [b.from, b.accounts])).toEqual([[10, 1], [50, 1], [90, 1]]);

    const first = await json<{ data: { accountId: string; score: number; matched: number[] }[]; nextCursor: string }>(await admin.call(viewer, `${base}/${icp!.id}/accounts?limit=2`));
    expect(first.data.map((a) => [a.score, a.matched])).toEqual([[100, [0, 1, 2]], [50, [0]]]);
    const rest = await json<{ data: { score: number }[]; nextCursor: string | null }>(await admin.call(viewer, `${base}/${icp!.id}/accounts?limit=2&cursor=${first.nextCursor}`));
    expect([rest.data.map((a) => a.score), rest.nextCursor]).toEqual([[17], null]);
    expect((await json<{ data: { score: number }[] }>(await admin.call(viewer, `${base}/${icp!.id}/accounts?qualified=false&minScore=20`))).data.map((a) => a.score)).toEqual([50]);
    for (const query of ['qualified=maybe', 'minScore=101', 'limit=0', 'cursor=bm9wZQ']) {
      const bad = await admin.call(viewer, `${base}/${icp!.id}/accounts?${query}`);
      expect({ query, status: bad.status }).toEqual({ query, status: 400 });
    }
    expect((await admin.call(undefined, base)).status).toBe(401);
  });

  it('refuses bad input with 400 naming the field, criteria conditions included, and stores nothing', async () => {
    const before = await count(ws.id);
    const cases: [unknown, string][] = [
      [{ criteria: [{ condition: software, weight: 1 }] }, 'name'],
      [{ name: 'No criteria', criteria: [] }, 'criteria'],
      [{ name: 'Bad weight', criteria: [{ condition: software, weight: 0 }] }, 'criteria.0.weight'],
      [{ name: 'Bad op', criteria: [{ condition: { trait: 'industry', op: 'near', value: 'x' }, weight: 1 }] }, 'criteria.0.condition.op'],
      [{ name: 'Bad tree', criteria: [{ condition: software, weight: 1 }, { condition: { all: [software, { trait: 'industry', op: 'eq' }] }, weight: 1 }] }, 'criteria.1.condition.all[1].op'],
      [{ name: 'No minimum', criteria: [{ kind: 'people', condition: { event: 'page_viewed' }, weight: 1 }] }, 'criteria.0.minPeople'],
      [{ name: 'Bad kind', criteria: [{ kind: 'team', condition: software, weight: 1 }] }, 'criteria.0.kind'],
      [{ name: 'On a fit', criteria: [{ condition: { icp: 'mid-market-software' }, weight: 1 }] }, 'criteria.0.condition.icp'],
      [{ name: 'On a segment', criteria: [{ condition: { segment: '00000000-0000-4000-8000-000000000000' }, weight: 1 }] }, 'criteria.0.condition.segment'],
      [{ name: 'Bad threshold', threshold: 70.5, criteria: [{ condition: software, weight: 1 }] }, 'threshold'],
      [{ name: 'Bad key', key: 'Not A Key', criteria: [{ condition: software, weight: 1 }] }, 'key'],
      [{ name: 'Taken', key: 'mid-market-software', criteria: [{ condition: software, weight: 1 }] }, 'key'],
    ];
    for (const [body, field] of cases) {
      const response = await admin.call(editor, base, { method: 'POST', body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect((await json<Problem>(response)).errors.map((e) => e.field)).toContain(field);
    }
    expect(await count(ws.id)).toBe(before);
  });

  it('changes an ICP: a new name keeps the version; a new threshold scores the accounts again', async () => {
    const [icp] = (await json<{ data: Icp[] }>(await admin.call(viewer, base))).data;
    const renamed = await admin.call(editor, `${base}/${icp!.id}`, { method: 'PATCH', body: { name: 'Mid-market' } });
    expect(renamed.status).toBe(200);
    expect(await json(renamed)).toMatchObject({ name: 'Mid-market', key: 'mid-market-software', description: 'Software, 50–1000 people, an active team', version: 1, qualified: 1 });
    expect(await json(await admin.call(editor, `${base}/${icp!.id}`, { method: 'PATCH', body: { threshold: 50 } }))).toMatchObject({ version: 2, threshold: 50, qualified: 2 });
    const bad = await admin.call(editor, `${base}/${icp!.id}`, { method: 'PATCH', body: { criteria: [{ condition: { trait: 'industry', op: 'eq' }, weight: 1 }] } });
    expect(bad.status).toBe(400);
    expect((await json<Problem>(bad)).errors.map((e) => e.field)).toContain('criteria.0.condition.op');
    expect((await admin.app.get(IcpsService).get(ws.id, icp!.id)).version).toBe(2);
  });

  it('refuses viewers every change (403) and answers 404 for another workspace\'s ICPs', async () => {
    const [icp] = (await json<{ data: Icp[] }>(await admin.call(viewer, base))).data;
    for (const response of await Promise.all([
      admin.call(viewer, base, { method: 'POST', body: { name: 'Viewer', criteria: [{ condition: software, weight: 1 }] } }),
      admin.call(viewer, `${base}/${icp!.id}`, { method: 'PATCH', body: { name: 'Viewer was here' } }),
      admin.call(viewer, `${base}/${icp!.id}`, { method: 'DELETE' }),
    ])) {
      expect(response.status).toBe(403);
      expect(await json(response)).toMatchObject({ code: 'ROLE_REQUIRED' });
    }
    const foreign = await admin.app.get(IcpsService).create(other.id, { name: 'Theirs', criteria: [{ condition: software, weight: 1 }] });
    for (const [method, path, body] of [
      ['GET', `${base}/${foreign.id}`],
      ['GET', `${base}/${foreign.id}/distribution`],
      ['GET', `${base}/${foreign.id}/accounts`],
      ['PATCH', `${base}/${foreign.id}`, { name: 'Mine now' }],
      ['DELETE', `${base}/${foreign.id}`],
      ['GET', `${base}/not-a-uuid`],
    ] as const) {
      const response = await admin.call(editor, path, { method, body });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
    }
    expect(await admin.app.get(IcpsService).get(other.id, foreign.id)).toMatchObject({ name: 'Theirs' });
    expect((await admin.app.get(IcpsService).get(ws.id, icp!.id)).name).toBe('Mid-market');
  });

  it('deletes an ICP (204): fits go with it; every change is in the audit log', async () => {
    const [icp] = (await json<{ data: Icp[] }>(await admin.call(viewer, base))).data;
    expect((await admin.call(editor, `${base}/${icp!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin.call(viewer, `${base}/${icp!.id}`)).status).toBe(404);
    const ana = await json<{ profile: { icpFit: number | null; icpQualified: boolean | null } }>(await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles/${await profileOf('email', 'ana@example.org')}`));
    expect(ana.profile).toMatchObject({ icpFit: null, icpQualified: null });
    const log = await json<{ data: AuditEntry[] }>(await admin.call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?limit=200`));
    const changes = log.data.filter((e) => e.action.startsWith('icp.')).map((e) => [e.action, e.target?.id]);
    expect(changes).toEqual([
      ['icp.delete', icp!.id],
      ['icp.update', icp!.id],
      ['icp.update', icp!.id],
      ['icp.create', icp!.id],
    ]);
  });
});
