import { ProfilesService } from '@portrait/core';
import { createTestAdmin, json, person, type TestAdmin, type TestSession } from './support/test-admin.js';

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();
let seq = 0;
const order = (days: number, properties: Record<string, unknown> = {}) => ({
  type: 'order_placed',
  occurredAt: daysAgo(days),
  properties: { total: 30, line_items: [{ product_type: 'coffee', quantity: 1, price: 30 }], ...properties },
  dedupeKey: `o-${++seq}`,
});

type Distribution = { total: number; counts: Record<string, number> };
type Problem = { code: string; errors?: { field: string; message: string }[] };
type Typology = { value: string; reason: string; figures: Record<string, unknown>; setAt: string };

describe('typology (management API)', () => {
  let admin: TestAdmin;
  let ws: { id: string; slug: string };
  let other: { id: string; slug: string };
  let owner: TestSession;
  let viewer: TestSession;
  let base: string;
  let dina: string;

  beforeAll(async () => {
    admin = await createTestAdmin();
    ws = await admin.workspace();
    other = await admin.workspace();
    owner = await admin.session(ws.id, 'owner');
    viewer = await admin.session(ws.id, 'viewer');
    base = `/admin/api/workspaces/${ws.slug}/typology`;
    const facts = [
      // Two of three orders with a code: deal-based.
      person('dina', [['email', 'dina@example.org']], {}, { events: [order(50, { discount_codes: ['SAVE'] }), order(30, { discount_total: 3 }), order(10)] }),
      // Three full-price coffee orders 60 days apart: need-based.
      person('nina', [['email', 'nina@example.org']], {}, { events: [order(125), order(65), order(5)] }),
      person('uma', [['email', 'uma@example.org']], {}, { events: [order(3)] }),
    ];
    await admin.ingest(ws.id, facts);
    await admin.ingest(other.id, facts);
    dina = (await admin.app.get(ProfilesService).findByIdentity(ws.id, 'email', 'dina@example.org'))!.id;
  });
  afterAll(() => admin?.close());

  const expectFields = async (response: Response, fields: string[]) => {
    expect(response.status).toBe(400);
    const problem = await json<Problem>(response);
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors!.map((e) => e.field).sort()).toEqual([...fields].sort());
  };

  it('answers how many people have each typology, to viewers too', async () => {
    const response = await admin.call(viewer, base);
    expect(response.status).toBe(200);
    expect(await json<Distribution>(response)).toEqual({ total: 3, counts: { need_based: 1, deal_based: 1, impulsive: 0, loyal: 0, unknown: 1, unclassified: 0 } });
  });

  it('shows each person\'s typology, its reason and when it was set in the profile 360', async () => {
    const response = await admin.call(viewer, `/admin/api/workspaces/${ws.slug}/profiles/${dina}`);
    expect(response.status).toBe(200);
    const { profile } = await json<{ profile: { typology: Typology } }>(response);
    expect(profile.typology).toMatchObject({
      value: 'deal_based',
      reason: '2 of 3 orders used a discount code or were bought on sale (67%; deal-based from 50%)',
      figures: { orders: 3, dealOrders: 2 },
      setAt: expect.any(String),
    });
  });

  it('reads the thresholds in force, the defaults at first', async () => {
    const body = await json<{ settings: Record<string, unknown>; own: Record<string, unknown> }>(await admin.call(viewer, `${base}/settings`));
    expect(body.own).toEqual({});
    expect(body.settings).toMatchObject({ minOrders: 2, precedence: ['deal_based', 'impulsive', 'loyal', 'need_based'], dealBased: { minDealShare: 0.5 }, loyal: { minOrders: 4, minSpanDays: 180 } });
  });

  it('replaces the thresholds, classifies the workspace again before answering, and audits it; other workspaces keep theirs', async () => {
    const response = await admin.call(owner, `${base}/settings`, { method: 'PUT', body: { dealBased: { minDealShare: 0.7 }, minOrders: 1 } });
    expect(response.status).toBe(200);
    const body = await json<{ settings: Record<string, unknown>; own: Record<string, unknown>; run: Record<string, unknown>; distribution: Distribution }>(response);
    expect(body.own).toEqual({ dealBased: { minDealShare: 0.7 }, minOrders: 1 });
    expect(body.settings).toMatchObject({ minOrders: 1, dealBased: { minDealShare: 0.7 } });
    expect(body.run).toMatchObject({ kind: 'full', evaluated: 3, changed: 1 });
    expect(body.distribution.counts).toMatchObject({ deal_based: 0, need_based: 1, unknown: 2 });
    expect((await admin.app.get(ProfilesService).get(ws.id, dina)).typology).toMatchObject({ value: 'unknown', reason: expect.stringContaining('2 of 3 with a discount or on sale') });

    expect((await json<Distribution>(await admin.call(viewer, base))).counts.deal_based).toBe(0);
    expect((await admin.app.get(ProfilesService).findByIdentity(other.id, 'email', 'dina@example.org'))!.typology!.value).toBe('deal_based');
    const audit = await json<{ data: { action: string; target: { type: string; id: string } | null }[] }>(await admin.call(owner, `/admin/api/workspaces/${ws.slug}/audit-log?limit=5`));
    expect(audit.data[0]).toMatchObject({ action: 'typology.settings.replace', target: { type: 'workspace', id: ws.id } });
  });

  it('refuses bad thresholds with 400 naming each field, viewers with 403, and stores nothing', async () => {
    const before = await json(await admin.call(viewer, `${base}/settings`));
    const cases: [unknown, string[]][] = [
      [{ minOrders: 0 }, ['minOrders']],
      [{ dealBased: { minDealShare: 1.5 } }, ['dealBased.minDealShare']],
      [{ impulsive: { windowMinutes: -5, burstHours: 'soon' } }, ['impulsive.windowMinutes', 'impulsive.burstHours']],
      [{ loyal: { minOrders: 2.5, engagementEvents: [] } }, ['loyal.minOrders', 'loyal.engagementEvents']],
      [{ needBased: { maxIntervalVariation: 1000 } }, ['needBased.maxIntervalVariation']],
      [{ precedence: ['loyal', 'loyal', 'impulsive', 'need_based'] }, ['precedence']],
      [{ precedence: ['loyal'] }, ['precedence']],
      [{ colour: 'blue' }, ['(body)']],
    ];
    for (const [body, fields] of cases) await expectFields(await admin.call(owner, `${base}/settings`, { method: 'PUT', body }), fields);
    expect((await admin.call(viewer, `${base}/settings`, { method: 'PUT', body: {} })).status).toBe(403);
    expect((await admin.call(viewer, `${base}/recompute`, { method: 'POST' })).status).toBe(403);
    expect(await json(await admin.call(viewer, `${base}/settings`))).toEqual(before);
  });

  it('classifies every profile on demand, and goes back to the defaults with an empty body', async () => {
    const unchanged = await admin.call(owner, `${base}/recompute`, { method: 'POST' });
    expect(unchanged.status).toBe(200);
    expect(await json(unchanged)).toMatchObject({ run: { kind: 'full', evaluated: 3, changed: 0 }, distribution: { total: 3 } });

    const reset = await json<{ own: Record<string, unknown>; distribution: Distribution }>(await admin.call(owner, `${base}/settings`, { method: 'PUT', body: {} }));
    expect(reset.own).toEqual({});
    expect(reset.distribution.counts).toMatchObject({ deal_based: 1, need_based: 1, unknown: 1 });
    // A workspace that is not the caller's is not found.
    expect((await admin.call(owner, `/admin/api/workspaces/${other.slug}/typology`)).status).toBe(404);
  });
});
