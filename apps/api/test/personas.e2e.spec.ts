import { PersonasService, SegmentMembershipService, SegmentsService } from '@portrait/core';
import { createTestApi, person, type TestApi } from './support/test-api.js';

interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

interface PersonaBody {
  id: string;
  name: string;
  key: string;
  card: Record<string, unknown>;
  rules: { condition: unknown; weight: number; label?: string }[];
  minScore: number;
  size: number;
}

interface ProfileBody {
  id: string;
  traits: Record<string, unknown>;
  personaId: string | null;
  personaScore: number | null;
}

describe('GET /v1/personas…', () => {
  let api: TestApi;
  let ws: string;
  let key: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['personas:read', 'profiles:read']);
  });
  afterAll(() => api?.close());

  const json = async <T>(path: string): Promise<T> => {
    const response = await api.call(key, path);
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };

  it('lists personas with their card, rules and size, reads one, and filters profiles by persona page by page', async () => {
    await api.ingest(ws, Array.from({ length: 5 }, (_, i) => person(`p${i}`, [['email', `persona${i}@example.org`]], { plan: i < 3 ? 'pro' : 'free', vip: i === 0 })));
    const personas = api.app.get(PersonasService);
    const pro = await personas.create(ws, {
      name: 'Pro buyer',
      card: { role: 'team lead', goals: ['ship faster'], typology: 'need_based' },
      rules: [{ condition: { trait: 'plan', op: 'eq', value: 'pro' }, weight: 3, label: 'pays for pro' }, { condition: { trait: 'vip', op: 'eq', value: true }, weight: 1 }],
    });
    await personas.create(ws, { name: 'Free rider', rules: [{ condition: { trait: 'plan', op: 'eq', value: 'free' }, weight: 1 }], minScore: 1 });

    const first = await json<Page<PersonaBody>>('/v1/personas?limit=1');
    expect(first.data.map((p) => [p.name, p.size])).toEqual([['Pro buyer', 3]]);
    const rest = await json<Page<PersonaBody>>(`/v1/personas?cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(rest.data.map((p) => [p.name, p.key, p.minScore, p.size])).toEqual([['Free rider', 'free-rider', 1, 2]]);
    expect(rest.nextCursor).toBeNull();

    expect(await json(`/v1/personas/${pro.id}`)).toMatchObject({
      id: pro.id,
      key: 'pro-buyer',
      card: { role: 'team lead', goals: ['ship faster'], typology: 'need_based' },
      rules: [{ condition: { trait: 'plan', op: 'eq', value: 'pro' }, weight: 3, label: 'pays for pro' }, { weight: 1 }],
      minScore: 0.5,
      version: 1,
      size: 3,
    });

    const members: ProfileBody[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: Page<ProfileBody> = await json(`/v1/profiles?persona=${pro.id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(2);
      members.push(...page.data);
      cursor = page.nextCursor;
    }
    expect(members.map((p) => p.traits.plan)).toEqual(['pro', 'pro', 'pro']);
    expect(members.map((p) => p.personaScore).sort()).toEqual([0.75, 0.75, 1]);
    expect(members.every((p) => p.personaId === pro.id)).toBe(true);
    const vip = members.find((p) => p.traits.vip === true)!;
    expect(await json(`/v1/profiles/${vip.id}`)).toMatchObject({ personaId: pro.id, personaScore: 1 });

    // Filters combine: the members of a segment that have a persona.
    const segment = await api.app.get(SegmentsService).create(ws, { name: 'VIPs', definition: { trait: 'vip', op: 'eq', value: true } });
    await api.app.get(SegmentMembershipService).recompute(ws, segment.id);
    const both = await json<Page<ProfileBody>>(`/v1/profiles?segment=${segment.id}&persona=${pro.id}`);
    expect(both.data.map((p) => p.id)).toEqual([vip.id]);
    const none = await json<Page<ProfileBody>>(`/v1/profiles?segment=${segment.id}&persona=${rest.data[0]!.id}`);
    expect(none.data).toEqual([]);
  });

  it('answers 404 for unknown personas, 400 for a bad page size, and 403 without personas:read', async () => {
    for (const path of ['/v1/personas/00000000-0000-4000-8000-000000000000', '/v1/personas/not-a-uuid']) {
      const response = await api.call(key, path);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe('PERSONA_NOT_FOUND');
    }
    const tooMany = await api.call(key, '/v1/personas?limit=201');
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'limit' }] });
    expect((await api.call(key, '/v1/personas?cursor=garbage')).status).toBe(400);
    const profilesOnly = await api.key(ws, ['profiles:read']);
    const response = await api.call(profilesOnly, '/v1/personas');
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('INSUFFICIENT_SCOPE');
  });
});
