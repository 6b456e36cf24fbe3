import { SegmentMembershipService, SegmentsService } from '@portrait/core';
import { createTestApi, person, type TestApi } from './support/test-api.js';

interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

describe('GET /v1/segments…', () => {
  let api: TestApi;
  let ws: string;
  let key: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['segments:read', 'profiles:read']);
  });
  afterAll(() => api?.close());

  const json = async <T>(path: string): Promise<T> => {
    const response = await api.call(key, path);
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };

  it('lists segments, their members page by page, a profile\'s segments, and filters profiles by segment', async () => {
    await api.ingest(ws, Array.from({ length: 5 }, (_, i) => person(`s${i}`, [['email', `seg${i}@example.org`]], { country: i < 3 ? 'BR' : 'US' })));
    const segments = api.app.get(SegmentsService);
    const br = await segments.create(ws, { name: 'Brazil', definition: { trait: 'country', op: 'eq', value: 'BR' } });
    await segments.create(ws, { name: 'Everyone with an email', definition: { identity: 'email', op: 'exists' } });
    await api.app.get(SegmentMembershipService).recomputeAll(ws);

    const list = await json<Page<{ id: string; name: string; size: number }>>('/v1/segments?limit=1');
    expect(list.data.map((s) => [s.name, s.size])).toEqual([['Brazil', 3]]);
    const rest = await json<Page<{ name: string }>>(`/v1/segments?cursor=${encodeURIComponent(list.nextCursor!)}`);
    expect(rest.data.map((s) => s.name)).toEqual(['Everyone with an email']);
    expect(rest.nextCursor).toBeNull();

    expect(await json(`/v1/segments/${br.id}`)).toMatchObject({ id: br.id, definition: { trait: 'country', op: 'eq', value: 'BR' }, timeWindowed: false, size: 3 });

    const members: string[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: Page<{ profileId: string }> = await json(`/v1/segments/${br.id}/members?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      members.push(...page.data.map((m) => m.profileId));
      cursor = page.nextCursor;
    }
    expect(members).toHaveLength(3);

    const filtered = await json<Page<{ id: string; traits: { country: string } }>>(`/v1/profiles?segment=${br.id}`);
    expect(filtered.data.map((p) => p.id).sort()).toEqual([...members].sort());
    expect(filtered.data.every((p) => p.traits.country === 'BR')).toBe(true);

    const ofProfile = await json<{ segments: { name: string }[] }>(`/v1/profiles/${members[0]}/segments`);
    expect(ofProfile.segments.map((s) => s.name)).toEqual(['Brazil', 'Everyone with an email']);
  });

  it('answers 404 for unknown segments and profiles, and 403 without segments:read', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const path of [`/v1/segments/${missing}`, `/v1/segments/${missing}/members`, `/v1/profiles/${missing}/segments`, '/v1/segments/not-a-uuid']) {
      expect((await api.call(key, path)).status).toBe(404);
    }
    const profilesOnly = await api.key(ws, ['profiles:read']);
    const response = await api.call(profilesOnly, '/v1/segments');
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('INSUFFICIENT_SCOPE');
  });
});
