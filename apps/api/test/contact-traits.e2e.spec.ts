import { createTestApi, type TestApi } from './support/test-api.js';

/**
 * The `email` and `phone` traits are normalized as their identities are (the profile shows the value
 * it is matched on), whatever the source; the value as sent stays with the source's observation.
 */
describe('email and phone traits', () => {
  let api: TestApi;
  let key: string;
  let ws: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['events:write', 'profiles:read']);
  });
  afterAll(() => api?.close());

  type Observation = { source: string; traits: Record<string, { value: unknown; observedAt: string; raw?: unknown }> };
  const profileOf = async (type: string, value: string) => {
    await api.drained(ws);
    const found = await api.call(key, `/v1/profiles/lookup?type=${type}&value=${encodeURIComponent(value)}`);
    expect(found.status).toBe(200);
    const { id } = (await found.json()) as { id: string };
    const profile = (await (await api.call(key, `/v1/profiles/${id}`)).json()) as { traits: Record<string, unknown> };
    const verbose = (await (await api.call(key, `/v1/profiles/${id}/traits?verbose=true`)).json()) as { observations: Observation[] };
    return { profile, observations: verbose.observations };
  };

  it('identify: the email and phone traits trimmed and normalized like their identities, the raw values in the observation', async () => {
    const response = await api.call(key, '/v1/identify', {
      method: 'POST',
      body: { userId: 'newcomer', traits: { email: '  Newcomer@Example.COM ', phone: '06 12 34 56 78', address: { country: 'FR' } }, timestamp: '2026-05-01T10:00:00Z' },
    });
    expect(response.status).toBe(200);
    const { profile, observations } = await profileOf('email', 'newcomer@example.com');
    expect(profile.traits).toMatchObject({ email: 'newcomer@example.com', phone: '+33612345678', country: 'FR' });
    expect(observations).toEqual([
      expect.objectContaining({
        source: 'api',
        traits: expect.objectContaining({
          email: { value: 'newcomer@example.com', raw: '  Newcomer@Example.COM ', observedAt: '2026-05-01T10:00:00.000Z' },
          phone: { value: '+33612345678', raw: '06 12 34 56 78', observedAt: '2026-05-01T10:00:00.000Z' },
          country: { value: 'FR', observedAt: '2026-05-01T10:00:00.000Z' },
        }),
      }),
    ]);
  });

  it('every source benefits (the ingest normalizes); values already normal carry no raw; invalid ones are kept as sent', async () => {
    await api.ingest(ws, [
      {
        source: 'crm',
        externalId: 'c-1',
        identities: [{ type: 'crm_id', value: 'c-1' }],
        traits: { email: 'Ana@Example.org', phone: 'not a phone' },
        observedAt: '2026-05-02T10:00:00Z',
      },
      { source: 'crm', externalId: 'c-2', identities: [{ type: 'crm_id', value: 'c-2' }], traits: { email: 'bo@example.org' }, observedAt: '2026-05-02T10:00:00Z' },
    ]);
    const ana = await profileOf('crm_id', 'c-1');
    expect(ana.profile.traits).toMatchObject({ email: 'ana@example.org', phone: 'not a phone' });
    expect(ana.observations[0]!.traits.email).toEqual({ value: 'ana@example.org', raw: 'Ana@Example.org', observedAt: '2026-05-02T10:00:00.000Z' });
    expect(ana.observations[0]!.traits.phone).toEqual({ value: 'not a phone', observedAt: '2026-05-02T10:00:00.000Z' });
    const bo = await profileOf('crm_id', 'c-2');
    expect(bo.observations[0]!.traits.email).toEqual({ value: 'bo@example.org', observedAt: '2026-05-02T10:00:00.000Z' });
  });
});
