import { IcpsService, ProfilesService } from '@portrait/core';
import { createTestApi, type TestApi } from './support/test-api.js';

type Profile = { id: string; kind: string; traits: Record<string, unknown>; linked: string[]; icpFit: number | null; icpQualified: boolean | null; icpAccountId: string | null; icpScores: unknown[] };

describe('ICP fits through the tracking API and the profile API', () => {
  let api: TestApi;
  let ws: string;
  let key: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['events:write', 'profiles:read']);
  });
  afterAll(() => api?.close());

  const post = (path: string, body: unknown) => api.call(key, path, { method: 'POST', body, headers: { 'portrait-wait': '10' } });
  const get = async (path: string) => (await (await api.call(key, path)).json()) as Profile;
  const byUser = async (userId: string) => get(`/v1/profiles/lookup?type=user_id&value=${userId}`);
  const byGroup = async (groupId: string) => get(`/v1/profiles/lookup?type=group_id&value=${groupId}`);

  it('lands a group call\'s firmographic traits on the account, scores it, and answers each person\'s fit and each account\'s scores', async () => {
    const group = (userId: string, groupId: string, traits: Record<string, unknown> = {}) => post('/v1/group', { userId, groupId, traits });
    expect(
      (await group('u-1', 'g-acme', { name: 'Acme', industry: 'software', employees: 250, annualRevenue: 12_000_000, address: { country: 'BR' }, technologies: ['shopify', 'hubspot'], plan: 'pro' })).status,
    ).toBe(200);
    await group('u-2', 'g-acme');
    await group('u-3', 'g-beta', { name: 'Beta', industry: 'retail', employees: 8, plan: 'free' });
    const acme = await byGroup('g-acme');
    expect(acme).toMatchObject({ kind: 'account', traits: { name: 'Acme', industry: 'software', employee_count: 250, annual_revenue: 12_000_000, country: 'BR', technologies: ['shopify', 'hubspot'], plan: 'pro' } });

    // Software (2), 50+ employees (1), on Shopify (1), at least 2 people who viewed a page (2): total 6.
    await api.app.get(IcpsService).create(ws, {
      name: 'Shopify software',
      threshold: 80,
      criteria: [
        { condition: { trait: 'industry', op: 'eq', value: 'software' }, weight: 2 },
        { condition: { trait: 'employee_count', op: 'gte', value: 50 }, weight: 1 },
        { condition: { trait: 'technologies', op: 'contains', value: 'shopify' }, weight: 1 },
        { kind: 'people', condition: { event: 'page_viewed' }, minPeople: 2, weight: 2 },
      ],
    });
    expect((await byGroup('g-acme')).icpScores).toEqual([{ icp: 'shopify-software', name: 'Shopify software', score: 67, qualified: false, threshold: 80 }]);
    expect(await byUser('u-1')).toMatchObject({ icpFit: 67, icpQualified: false, icpAccountId: acme.id, icpScores: [] });

    // Two of acme's people view pages: acme meets every criterion, and its people are qualified.
    await post('/v1/page', { userId: 'u-1', name: 'Pricing' });
    await post('/v1/page', { userId: 'u-2', name: 'Docs' });
    expect((await byGroup('g-acme')).icpScores).toEqual([{ icp: 'shopify-software', name: 'Shopify software', score: 100, qualified: true, threshold: 80 }]);
    expect(await byUser('u-2')).toMatchObject({ icpFit: 100, icpQualified: true });
    expect(await byUser('u-3')).toMatchObject({ icpFit: 0, icpQualified: false });

    // u-2 joins beta (a group call to another account): u-2 takes beta's fit; acme is down to one active person.
    await group('u-2', 'g-beta');
    const beta = await byGroup('g-beta');
    expect(await byUser('u-2')).toMatchObject({ icpFit: 0, icpQualified: false, icpAccountId: beta.id });
    expect(await byUser('u-1')).toMatchObject({ icpFit: 67, icpQualified: false });
    expect((await api.app.get(ProfilesService).get(ws, beta.id)).icpFit).toBe(0);
  });
});
