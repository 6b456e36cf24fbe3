import { createTestApi, person, type TestApi } from './support/test-api.js';

interface ProfileBody {
  id: string;
  kind: string;
  traits: Record<string, unknown>;
  identities: { type: string; value: string }[];
  mergedFrom?: string;
}

describe('GET /v1/profiles…', () => {
  let api: TestApi;
  let ws: string;
  let key: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['profiles:read']);
  });
  afterAll(() => api?.close());

  const json = async <T>(path: string): Promise<T> => {
    const response = await api.call(key, path);
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };

  it('lists every live profile once across pages, oldest change first, and filters by kind and updated_since', async () => {
    const people = Array.from({ length: 7 }, (_, i) => person(`p${i}`, [['email', `list${i}@example.org`]], { first_name: `P${i}` }));
    await api.ingest(ws, people);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { data: ProfileBody[]; nextCursor: string | null } = await json(`/v1/profiles?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data.map((p) => p.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);

    const [{ now }] = await api.db.dataSource.query(`SELECT now()::text AS now`);
    await api.ingest(ws, [person('p2', [['email', 'list2@example.org']], { first_name: 'Changed' }, { observedAt: '2026-02-01T00:00:00Z' })]);
    const changed: { data: ProfileBody[] } = await json(`/v1/profiles?updated_since=${encodeURIComponent(new Date(now).toISOString())}`);
    expect(changed.data.map((p) => p.traits.first_name)).toEqual(['Changed']);

    await api.ingest(ws, [{ source: 'crm', externalId: 'acct', kind: 'account', identities: [{ type: 'domain', value: 'acme.example' }], traits: { name: 'Acme' }, observedAt: '2026-01-01T00:00:00Z' }]);
    const accounts: { data: ProfileBody[] } = await json('/v1/profiles?kind=account');
    expect(accounts.data.map((p) => p.traits.name)).toEqual(['Acme']);
  });

  it('refuses a cursor it did not hand out, an unknown segment or persona and a typology that is none of the four (or unknown)', async () => {
    const bad = await api.call(key, '/v1/profiles?cursor=garbage');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_CURSOR');
    const segment = await api.call(key, '/v1/profiles?segment=x');
    expect(segment.status).toBe(400);
    expect(await segment.json()).toMatchObject({ code: 'INVALID_FILTER', errors: [{ field: 'segment' }] });
    for (const persona of ['x', '00000000-0000-4000-8000-000000000000']) {
      const response = await api.call(key, `/v1/profiles?persona=${persona}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'INVALID_FILTER', errors: [{ field: 'persona' }] });
    }
    const typology = await api.call(key, '/v1/profiles?typology=bargain');
    expect(typology.status).toBe(400);
    expect(await typology.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'typology', message: 'must be one of need_based, deal_based, impulsive, loyal, unknown' }] });
  });

  it('filters by typology, page by page like the whole list', async () => {
    const typed = await api.call(key, '/v1/profiles?typology=loyal');
    expect(await typed.json()).toEqual({ data: [], nextCursor: null });
    await api.ingest(ws, ['ty0', 'ty1', 'ty2', 'ty3'].map((id) => person(id, [['email', `${id}@example.org`]], { first_name: id })));
    // The typology classifier writes profiles.typology; here the column is set directly.
    await api.db.dataSource.query(
      `UPDATE profiles p SET typology = CASE WHEN i.value IN ('ty0@example.org', 'ty2@example.org', 'ty3@example.org') THEN 'loyal' ELSE 'deal_based' END
       FROM identities i WHERE i.profile_id = p.id AND i.workspace_id = $1 AND i.value LIKE 'ty_@example.org'`,
      [ws],
    );
    const first: { data: ProfileBody[]; nextCursor: string } = await json('/v1/profiles?typology=loyal&limit=2');
    const second: { data: ProfileBody[]; nextCursor: string | null } = await json(`/v1/profiles?typology=loyal&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`);
    expect([...first.data, ...second.data].map((p) => p.traits.first_name).sort()).toEqual(['ty0', 'ty2', 'ty3']);
    expect(second.nextCursor).toBeNull();
    const deal: { data: ProfileBody[] } = await json('/v1/profiles?typology=deal_based&kind=person');
    expect(deal.data.map((p) => p.traits.first_name)).toEqual(['ty1']);
  });

  it('shows each person\'s typology with its reason and the time it was set, and filters the people it cannot tell yet', async () => {
    const own = await api.workspace();
    const reader = await api.key(own, ['profiles:read']);
    const orders = [20, 10].map((days, i) => ({
      type: 'order_placed',
      occurredAt: new Date(Date.now() - days * 86_400_000).toISOString(),
      properties: { total: 25, discount_codes: ['WELCOME'] },
      dedupeKey: `deal-${i}`,
    }));
    await api.ingest(own, [person('deal', [['email', 'deal@example.org']], {}, { events: orders }), person('new', [['email', 'new@example.org']])]);
    const lookup = await api.call(reader, '/v1/profiles/lookup?type=email&value=deal@example.org');
    expect(lookup.status).toBe(200);
    const { id, typology } = (await lookup.json()) as { id: string; typology: { value: string; reason: string; figures: Record<string, unknown>; setAt: string } };
    expect(typology).toEqual({
      value: 'deal_based',
      reason: '2 of 2 orders used a discount code or were bought on sale (100%; deal-based from 50%)',
      figures: expect.objectContaining({ orders: 2, dealOrders: 2 }),
      setAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(((await (await api.call(reader, `/v1/profiles/${id}`)).json()) as { typology: unknown }).typology).toEqual(typology);
    const unknown = await api.call(reader, '/v1/profiles?typology=unknown');
    expect(((await unknown.json()) as { data: ProfileBody[] }).data.map((p) => p.identities[0]!.value)).toEqual(['new@example.org']);
  });

  it('follows merges: a merged-away id answers with the survivor and says which id was asked for', async () => {
    await api.ingest(ws, [person('m1', [['email', 'merge-a@example.org']], { first_name: 'Ana' }), person('m2', [['phone', '+14155550101']], { last_name: 'Lima' })]);
    const a = await json<ProfileBody>('/v1/profiles/lookup?type=email&value=merge-a@example.org');
    const b = await json<ProfileBody>('/v1/profiles/lookup?type=phone&value=%2B14155550101');
    expect(a.id).not.toBe(b.id);
    await api.ingest(ws, [person('m3', [['email', 'merge-a@example.org'], ['phone', '+14155550101']])]);

    const viaA = await json<ProfileBody>(`/v1/profiles/${a.id}`);
    const viaB = await json<ProfileBody>(`/v1/profiles/${b.id}`);
    const survivor = viaA.mergedFrom ? viaB : viaA;
    const merged = viaA.mergedFrom ? viaA : viaB;
    expect(merged.id).toBe(survivor.id);
    expect(merged.mergedFrom).toBe(viaA.mergedFrom ? a.id : b.id);
    expect(survivor.mergedFrom).toBeUndefined();
    expect(survivor.traits).toMatchObject({ first_name: 'Ana', last_name: 'Lima' });
  });

  it('looks a profile up by any identifier, normalized as at ingest, and answers 404 for none', async () => {
    await api.ingest(ws, [person('l1', [['email', 'Look.Up@Example.org'], ['shopify_customer_id', 'S-77']])]);
    const byEmail = await json<ProfileBody>(`/v1/profiles/lookup?type=email&value=${encodeURIComponent('  LOOK.up@example.ORG ')}`);
    const byShop = await json<ProfileBody>('/v1/profiles/lookup?type=shopify_customer_id&value=S-77');
    expect(byEmail.id).toBe(byShop.id);
    const none = await api.call(key, '/v1/profiles/lookup?type=email&value=nobody@example.org');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { code: string }).code).toBe('PROFILE_NOT_FOUND');
    expect((await api.call(key, '/v1/profiles/lookup?type=Email')).status).toBe(400);
  });

  it('answers many reads at once, by id and by identifier, over every connection of the pool', async () => {
    // The reads are prepared statements on PostgreSQL; the embedded database's connections share one
    // session, where they must not be: concurrent reads open several connections on either.
    const result = await api.ingest(ws, [person('c1', [['email', 'many.at.once@example.org']])]);
    expect(result.created).toBe(1);
    const { id } = await json<ProfileBody>('/v1/profiles/lookup?type=email&value=many.at.once@example.org');
    const responses = await Promise.all(
      Array.from({ length: 24 }, (_, i) => api.call(key, i % 2 ? `/v1/profiles/${id}` : '/v1/profiles/lookup?type=email&value=many.at.once@example.org')),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(24).fill(200));
    for (const response of responses) expect(((await response.json()) as ProfileBody).id).toBe(id);
  });

  it('pages a profile\'s events newest first, filtered by type and time', async () => {
    const events = Array.from({ length: 5 }, (_, i) => ({ type: i % 2 ? 'email_opened' : 'order_placed', occurredAt: `2026-01-0${i + 1}T00:00:00Z`, properties: { n: i }, dedupeKey: `ev-${i}` }));
    await api.ingest(ws, [person('e1', [['email', 'events@example.org']], {}, { events })]);
    const { id } = await json<ProfileBody>('/v1/profiles/lookup?type=email&value=events@example.org');

    const first: { data: { type: string; properties: { n: number } }[]; nextCursor: string } = await json(`/v1/profiles/${id}/events?limit=2`);
    expect(first.data.map((e) => e.properties.n)).toEqual([4, 3]);
    const second: { data: { properties: { n: number } }[] } = await json(`/v1/profiles/${id}/events?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`);
    expect(second.data.map((e) => e.properties.n)).toEqual([2, 1]);

    const orders: { data: { properties: { n: number } }[] } = await json(`/v1/profiles/${id}/events?type=order_placed`);
    expect(orders.data.map((e) => e.properties.n)).toEqual([4, 2, 0]);
    const window: { data: { properties: { n: number } }[] } = await json(`/v1/profiles/${id}/events?since=2026-01-02T00:00:00Z&until=2026-01-04T00:00:00Z`);
    expect(window.data.map((e) => e.properties.n)).toEqual([2, 1]);
    expect((await api.call(key, `/v1/profiles/${id}/events?since=yesterday`)).status).toBe(400);
  });

  it('gives traits as values, or verbose with the source and time of each value', async () => {
    await api.ingest(ws, [
      person('t1', [['email', 'traits@example.org']], { first_name: 'Tia', city: 'Recife' }, { observedAt: '2026-01-05T00:00:00Z' }),
      { ...person('t1', [['email', 'traits@example.org']], { city: 'Olinda' }, { observedAt: '2026-01-06T00:00:00Z' }), source: 'shop' },
    ]);
    const { id } = await json<ProfileBody>('/v1/profiles/lookup?type=email&value=traits@example.org');
    // The later observation of city wins; values only by default.
    expect(await json(`/v1/profiles/${id}/traits`)).toEqual({ profileId: id, traits: { first_name: 'Tia', city: 'Olinda' } });
    const verbose: { traits: Record<string, { value: unknown; source: string; observedAt: string }>; observations: { source: string }[] } = await json(`/v1/profiles/${id}/traits?verbose=true`);
    expect(verbose.traits.city).toEqual({ value: 'Olinda', source: 'shop', observedAt: '2026-01-06T00:00:00.000Z' });
    expect(verbose.traits.first_name).toEqual({ value: 'Tia', source: 'crm', observedAt: '2026-01-05T00:00:00.000Z' });
    expect(verbose.observations.map((o) => o.source).sort()).toEqual(['crm', 'shop']);
  });

  it('answers 404 for ids that are not profiles', async () => {
    for (const path of ['/v1/profiles/00000000-0000-4000-8000-000000000000', '/v1/profiles/not-an-id/events', '/v1/profiles/00000000-0000-4000-8000-000000000000/traits']) {
      const response = await api.call(key, path);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe('PROFILE_NOT_FOUND');
    }
  });
});
