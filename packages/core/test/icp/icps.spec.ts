import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IcpException } from '../../src/modules/icp/icp.exception.js';
import { IcpScoringService } from '../../src/modules/icp/icp-scoring.service.js';
import { IcpsService } from '../../src/modules/icp/icps.service.js';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { ProfilesService } from '../../src/modules/profiles/profiles.service.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

type Fact = ProfileFactInput;
type Event = NonNullable<Fact['events']>[number];

const now = () => new Date().toISOString();
const account = (domain: string, traits: Record<string, unknown>): Fact => ({ source: 'crm', externalId: domain, kind: 'account', identities: [{ type: 'domain', value: domain }], traits, observedAt: now() });
const views = (name: string, n: number): Event[] => Array.from({ length: n }, (_, i) => ({ type: 'page_viewed', occurredAt: now(), properties: { path: `/${i}` }, dedupeKey: `${name}-${i}-${Math.random()}` }));
const person = (name: string, domain: string | undefined, pageViews = 0): Fact => ({
  source: 'app',
  externalId: name,
  identities: [{ type: 'email', value: `${name}@example.org` }],
  traits: { first_name: name },
  events: views(name, pageViews),
  ...(domain ? { account: { identities: [{ type: 'domain', value: domain }] } } : {}),
  observedAt: now(),
});

/** Three people-behaviour points: at least 3 of the account's people viewed 3 pages or more. */
const activeUsers = { kind: 'people' as const, condition: { event: 'page_viewed', count: { op: 'gte' as const, value: 3 } }, minPeople: 3, weight: 4, label: 'at least 3 active users' };
const midMarket = {
  name: 'Mid-market SaaS',
  description: 'Software companies of 50 to 1000 people on Shopify with an active team',
  threshold: 70,
  criteria: [
    { condition: { trait: 'industry', op: 'eq' as const, value: 'software' }, weight: 3 },
    { condition: { trait: 'employee_count', op: 'between' as const, value: [50, 1000] }, weight: 2 },
    { condition: { trait: 'technologies', op: 'contains' as const, value: 'shopify' }, weight: 1 },
    activeUsers,
  ],
};
const brazil = {
  name: 'Brazil premium',
  threshold: 50,
  criteria: [
    { condition: { trait: 'country', op: 'eq' as const, value: 'BR' }, weight: 1 },
    { condition: { trait: 'plan', op: 'in' as const, value: ['pro', 'enterprise'] }, weight: 2 },
  ],
};

describe('ideal customer profiles', () => {
  let core: TestCore;
  let icps: IcpsService;
  let scoring: IcpScoringService;
  let ingest: IngestService;
  let profiles: ProfilesService;
  let segments: SegmentsService;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'test-secret-key-of-at-least-32-characters!' } });
    icps = core.app.get(IcpsService);
    scoring = core.app.get(IcpScoringService);
    ingest = core.app.get(IngestService);
    profiles = core.app.get(ProfilesService);
    segments = core.app.get(SegmentsService);
  });
  afterAll(() => core?.close());

  const byDomain = async (ws: string, domain: string) => (await profiles.findByIdentity(ws, 'domain', domain))!;
  const byName = async (ws: string, name: string) => (await profiles.findByIdentity(ws, 'email', `${name}@example.org`))!;
  /** Each account's scores per ICP key: [score, qualified]. */
  const scores = async (ws: string, domains: string[]) => {
    const out: Record<string, Record<string, [number, boolean]>> = {};
    for (const d of domains) out[d] = Object.fromEntries((await byDomain(ws, d)).icpScores.map((s) => [s.icp, [s.score, s.qualified]]));
    return out;
  };
  const fits = async (ws: string, names: string[]) => {
    const out: Record<string, [number | null, boolean | null]> = {};
    for (const n of names) {
      const p = await byName(ws, n);
      out[n] = [p.icpFit, p.icpQualified];
    }
    return out;
  };

  async function seed(ws: string) {
    await ingest.ingest(ws, [
      account('acme.example', { name: 'Acme', industry: 'software', employee_count: 250, country: 'BR', technologies: ['shopify', 'hubspot'], plan: 'pro' }),
      account('beta.example', { name: 'Beta', industry: 'retail', employee_count: 40, country: 'US', technologies: ['shopify'], plan: 'free' }),
      account('gamma.example', { name: 'Gamma', industry: 'software', employee_count: 1200, country: 'US', plan: 'enterprise' }),
    ]);
    await ingest.ingest(ws, [person('ana', 'acme.example', 3), person('bob', 'acme.example', 4), person('caio', 'acme.example', 1), person('eva', 'beta.example', 5), person('lone', undefined, 9)]);
  }

  it('scores every account 0–100 by the weight of the criteria it meets and qualifies it from the threshold; people inherit their account\'s best fit', async () => {
    const ws = await core.workspace();
    await seed(ws);
    const mid = await icps.create(ws, midMarket);
    const br = await icps.create(ws, brazil);
    expect(mid).toMatchObject({ key: 'mid-market-saas', threshold: 70, version: 1, accounts: 3, qualified: 0 });
    expect(mid.criteria[0]).toEqual({ kind: 'account', condition: { trait: 'industry', op: 'eq', value: 'software' }, weight: 3 });
    expect(mid.criteria[3]).toEqual(activeUsers);
    expect(br).toMatchObject({ key: 'brazil-premium', threshold: 50, accounts: 3, qualified: 2 });

    // Mid-market (total 10): acme 3 + 2 + 1, only 2 active users → 60; beta 1 → 10; gamma 3 → 30.
    // Brazil (total 3): acme 1 + 2 → 100; beta 0; gamma 2 → 66.67 → 67.
    expect(await scores(ws, ['acme.example', 'beta.example', 'gamma.example'])).toEqual({
      'acme.example': { 'mid-market-saas': [60, false], 'brazil-premium': [100, true] },
      'beta.example': { 'mid-market-saas': [10, false], 'brazil-premium': [0, false] },
      'gamma.example': { 'mid-market-saas': [30, false], 'brazil-premium': [67, true] },
    });
    // Best fit across ICPs; a person without an account has none.
    expect(await fits(ws, ['ana', 'bob', 'caio', 'eva', 'lone'])).toEqual({ ana: [100, true], bob: [100, true], caio: [100, true], eva: [10, false], lone: [null, null] });
    const acme = await byDomain(ws, 'acme.example');
    expect([acme.icpFit, acme.icpQualified, acme.icpAccountId]).toEqual([100, true, null]);
    expect((await byName(ws, 'ana')).icpAccountId).toBe(acme.id);
    expect((await byName(ws, 'ana')).icpScores).toEqual([]);

    // A third active user (caio views two more pages) meets the people criterion: acme 10 of 10.
    await ingest.ingest(ws, [person('caio', 'acme.example', 2)]);
    expect((await scores(ws, ['acme.example']))['acme.example']).toEqual({ 'mid-market-saas': [100, true], 'brazil-premium': [100, true] });
    const accounts = await icps.accounts(ws, mid.id);
    expect(accounts.data.map((a) => [a.accountId, a.score, a.qualified, a.matched])).toEqual([
      [acme.id, 100, true, [0, 1, 2, 3]],
      [(await byDomain(ws, 'gamma.example')).id, 30, false, [0]],
      [(await byDomain(ws, 'beta.example')).id, 10, false, [2]],
    ]);
    const page = await icps.accounts(ws, mid.id, { limit: 1, qualified: false });
    expect(page.data.map((a) => a.score)).toEqual([30]);
    expect((await icps.accounts(ws, mid.id, { limit: 1, qualified: false, cursor: page.nextCursor! })).data.map((a) => a.score)).toEqual([10]);
    expect((await icps.accounts(ws, mid.id, { minScore: 30 })).data.map((a) => a.score)).toEqual([100, 30]);

    expect(await icps.distribution(ws, mid.id)).toEqual({
      icp: 'mid-market-saas',
      threshold: 70,
      accounts: 3,
      qualified: 1,
      buckets: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90].map((from) => ({ from, to: from === 90 ? 100 : from + 9, accounts: from === 10 || from === 30 || from === 90 ? 1 : 0 })),
    });

    // An account's traits change (a `group` call, a CRM sync): beta becomes a 60-person software company.
    await ingest.ingest(ws, [account('beta.example', { industry: 'software', employee_count: 60 })]);
    expect((await scores(ws, ['beta.example']))['beta.example']['mid-market-saas']).toEqual([60, false]);
    expect((await fits(ws, ['eva'])).eva).toEqual([60, false]);
  });

  it('gives a person who moves to another account the new account\'s fit, and recounts both accounts\' people', async () => {
    const ws = await core.workspace();
    await seed(ws);
    const mid = await icps.create(ws, midMarket);
    expect(await fits(ws, ['ana', 'eva'])).toEqual({ ana: [60, false], eva: [10, false] });
    // eva (5 page views, an active user) joins acme: acme has 3 active users now.
    await ingest.ingest(ws, [person('eva', 'acme.example')]);
    const acme = await byDomain(ws, 'acme.example');
    expect((await byName(ws, 'eva')).icpAccountId).toBe(acme.id);
    expect(await fits(ws, ['ana', 'bob', 'caio', 'eva'])).toEqual({ ana: [100, true], bob: [100, true], caio: [100, true], eva: [100, true] });
    expect((await icps.get(ws, mid.id)).qualified).toBe(1);

    // bob moves to beta: acme is down to 2 active users, bob takes beta's fit.
    await ingest.ingest(ws, [person('bob', 'beta.example')]);
    expect(await fits(ws, ['ana', 'bob', 'eva'])).toEqual({ ana: [60, false], bob: [10, false], eva: [60, false] });
  });

  it('reads fits in segments with the icp leaf, and sets every fit again when an ICP is changed or deleted', async () => {
    const ws = await core.workspace();
    await seed(ws);
    const mid = await icps.create(ws, midMarket);
    const br = await icps.create(ws, brazil);
    const fit = await segments.create(ws, { name: 'Brazil fit', definition: { icp: 'brazil-premium', minScore: 60 } });
    await core.app.get(SegmentMembershipService).recompute(ws, fit.id);
    const acme = await byDomain(ws, 'acme.example');
    const gamma = await byDomain(ws, 'gamma.example');
    const acmePeople = await Promise.all(['ana', 'bob', 'caio'].map(async (n) => (await byName(ws, n)).id));
    expect((await segments.members(ws, fit.id)).data.map((m) => m.profileId).sort()).toEqual([acme.id, gamma.id, ...acmePeople].sort());
    const unqualified = await segments.create(ws, { name: 'Not mid-market', definition: { all: [{ icp: 'mid-market-saas', qualified: false }, { trait: 'first_name', op: 'exists' }] } });
    await core.app.get(SegmentMembershipService).recompute(ws, unqualified.id);
    expect((await segments.members(ws, unqualified.id)).data.map((m) => m.profileId).sort()).toEqual([...acmePeople, (await byName(ws, 'eva')).id].sort());

    // A lower threshold qualifies acme (60) for the mid-market ICP; the version moves with the criteria.
    const { name, criteria } = mid;
    const changed = await icps.update(ws, mid.id, { name, criteria, threshold: 60 });
    expect(changed).toMatchObject({ version: 2, threshold: 60, qualified: 1 });
    expect((await icps.update(ws, mid.id, { name: 'Mid-market', criteria, threshold: 60 })).version).toBe(2);
    expect((await segments.members(ws, unqualified.id)).data.map((m) => m.profileId)).toEqual([(await byName(ws, 'eva')).id]);

    // Without the Brazil ICP, acme's people keep acme's mid-market fit (60); gamma keeps 30.
    await icps.delete(ws, br.id);
    expect(await fits(ws, ['ana', 'eva'])).toEqual({ ana: [60, true], eva: [10, false] });
    expect([(await byDomain(ws, 'gamma.example')).icpFit, (await byDomain(ws, 'gamma.example')).icpScores.map((s) => s.icp)]).toEqual([30, ['mid-market-saas']]);
    expect((await segments.members(ws, fit.id)).data).toEqual([]);
    await expect(icps.get(ws, br.id)).rejects.toMatchObject({ code: 'ICP_NOT_FOUND' });

    // The last ICP gone, nothing holds a fit.
    await icps.delete(ws, mid.id);
    expect(await fits(ws, ['ana', 'eva'])).toEqual({ ana: [null, null], eva: [null, null] });
    expect((await byDomain(ws, 'acme.example')).icpScores).toEqual([]);
    expect((await scoring.scoreProfiles(ws, [acme.id])).changed).toBe(0);
  });

  it('rounds halves up, scores accounts created after the ICP as they are ingested, and scores ICPs of people criteria only', async () => {
    const ws = await core.workspace();
    // 1 of 8 is 12.5: 13.
    await icps.create(ws, { name: 'Eighths', threshold: 13, criteria: [{ condition: { trait: 'country', op: 'eq', value: 'US' }, weight: 1 }, { condition: { trait: 'industry', op: 'eq', value: 'mining' }, weight: 7 }] });
    await ingest.ingest(ws, [account('delta.example', { country: 'US' }), person('zoe', 'delta.example')]);
    expect((await byDomain(ws, 'delta.example')).icpScores).toEqual([{ icp: 'eighths', name: 'Eighths', score: 13, qualified: true, threshold: 13 }]);
    expect((await fits(ws, ['zoe'])).zoe).toEqual([13, true]);
    // An ICP of people criteria only: an account with a named person, and one with none.
    await icps.create(ws, { name: 'Named team', criteria: [{ kind: 'people', condition: { trait: 'first_name', op: 'exists' }, minPeople: 1, weight: 1 }] });
    await ingest.ingest(ws, [account('echo.example', { country: 'US' })]);
    expect((await byDomain(ws, 'delta.example')).icpScores.map((s) => [s.icp, s.score])).toEqual([['eighths', 13], ['named-team', 100]]);
    expect((await byDomain(ws, 'echo.example')).icpScores.map((s) => [s.icp, s.score])).toEqual([['eighths', 13], ['named-team', 0]]);
    expect((await fits(ws, ['zoe'])).zoe).toEqual([100, true]);
  });

  it('moves the fit of a merged-away account\'s people to the account it merged into, and drops the loser\'s scores', async () => {
    const ws = await core.workspace();
    await seed(ws);
    // A second record of beta, known by its group id, with two active people of its own.
    const betaApp: Fact = { source: 'app', externalId: 'g-beta', kind: 'account', identities: [{ type: 'group_id', value: 'g-beta' }], traits: { industry: 'software' }, observedAt: now() };
    await ingest.ingest(ws, [betaApp]);
    await ingest.ingest(ws, ['fay', 'gus'].map((name) => ({ ...person(name, undefined, 4), account: { identities: [{ type: 'group_id', value: 'g-beta' }] } })));
    const mid = await icps.create(ws, midMarket);
    const loser = (await profiles.findByIdentity(ws, 'group_id', 'g-beta'))!;
    // The app's beta: software (3) only → 30; its people inherit it.
    expect([loser.icpScores.map((s) => s.score), (await fits(ws, ['fay'])).fay]).toEqual([[30], [30, false]]);
    expect((await icps.get(ws, mid.id)).accounts).toBe(4);

    // The CRM learns beta's group id: the two records merge, with eva, fay and gus: three active users.
    await ingest.ingest(ws, [{ ...account('beta.example', {}), identities: [{ type: 'domain', value: 'beta.example' }, { type: 'group_id', value: 'g-beta' }] }]);
    const survivor = (await profiles.findByIdentity(ws, 'group_id', 'g-beta'))!;
    expect(survivor.id).toBe((await byDomain(ws, 'beta.example')).id);
    expect((await icps.get(ws, mid.id)).accounts).toBe(3);
    const stale: { n: number }[] = await core.db.dataSource.query(`SELECT count(*)::int AS n FROM icp_scores s JOIN profiles p ON p.id = s.account_id WHERE s.icp_id = $1 AND p.merged_into IS NOT NULL`, [mid.id]);
    expect(stale[0]!.n).toBe(0);
    // 40 employees, on Shopify (1), three active users (4), and software (3) if that industry won the merge.
    const expected = survivor.traits.industry === 'software' ? 80 : 50;
    expect(survivor.icpScores.map((s) => s.score)).toEqual([expected]);
    for (const name of ['eva', 'fay', 'gus']) {
      const p = await byName(ws, name);
      expect([name, p.icpAccountId, p.icpFit]).toEqual([name, survivor.id, expected]);
    }
  });

  it('refuses invalid ICPs field by field and stores nothing', async () => {
    const ws = await core.workspace();
    const invalid = (input: unknown) => icps.create(ws, input).then(() => undefined, (e: unknown) => (e instanceof IcpException ? e.errors : e));
    expect(await invalid({ name: '', criteria: [], threshold: 101 })).toEqual([
      { field: 'name', message: 'must not be empty' },
      { field: 'criteria', message: 'an ICP needs at least one criterion' },
      { field: 'threshold', message: 'must be between 0 and 100' },
    ]);
    expect(
      await invalid({
        name: 'Bad',
        criteria: [
          { kind: 'people', condition: { event: 'page_viewed' }, weight: 1 },
          { condition: { trait: 'employee_count', op: 'gt' }, weight: 0, minPeople: 2 },
          { condition: { any: [{ icp: 'other' }, { persona: '00000000-0000-4000-8000-000000000000' }] }, weight: 1 },
          { kind: 'team', condition: { trait: 'plan', op: 'eq', value: 'pro' }, weight: 1 },
        ],
      }),
    ).toEqual([
      { field: 'criteria.0.minPeople', message: 'a people criterion needs minPeople' },
      { field: 'criteria.1.weight', message: 'must be greater than 0' },
      { field: 'criteria.1.minPeople', message: 'only a people criterion has minPeople' },
      { field: 'criteria.3.kind', message: 'must be one of account, people' },
      { field: 'criteria.1.condition.op', message: expect.stringContaining('value') },
      { field: 'criteria.2.condition.any[0].icp', message: 'a criterion cannot refer to an ICP: fits are what criteria compute' },
      { field: 'criteria.2.condition.any[1].persona', message: 'a criterion cannot refer to a persona: personas are assigned beside ICP fits' },
    ]);
    expect((await icps.list(ws)).data).toEqual([]);
    await icps.create(ws, { name: 'Taken', criteria: [{ condition: { trait: 'plan', op: 'exists' }, weight: 1 }] });
    expect(await invalid({ name: 'Other', key: 'taken', criteria: [{ condition: { trait: 'plan', op: 'exists' }, weight: 1 }] })).toEqual([{ field: 'key', message: 'another ICP of the workspace has this key' }]);
    expect((await icps.create(ws, { name: 'Taken', criteria: [{ condition: { trait: 'plan', op: 'exists' }, weight: 1 }] })).key).toBe('taken-2');
  });
});
