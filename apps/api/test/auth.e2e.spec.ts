import { ApiKeysService } from '@portrait/core';
import { createTestApi, type TestApi } from './support/test-api.js';

describe('API keys on the public API', () => {
  let api: TestApi;
  let ws: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
  });
  afterAll(() => api?.close());

  async function problem(response: Response) {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('request-id')).toBeTruthy();
    return (await response.json()) as { type: string; title: string; status: number; detail: string; code: string; errors?: { field: string; message: string }[] };
  }

  it('answers 401 without a key, with a malformed one, an unknown one and a revoked one', async () => {
    const missing = await api.call(undefined, '/v1/profiles');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(await problem(missing)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', title: 'Unauthorized', type: 'urn:portrait:problem:unauthenticated' });

    expect((await problem(await api.call('not-a-key', '/v1/profiles'))).code).toBe('INVALID_API_KEY');
    expect((await api.call(`prt_${'x'.repeat(40)}`, '/v1/profiles')).status).toBe(401);

    const { apiKey, key } = await api.app.get(ApiKeysService).create(ws, { scopes: ['profiles:read'] });
    expect((await api.call(key, '/v1/profiles')).status).toBe(200);
    await api.app.get(ApiKeysService).revoke(apiKey.id);
    const revoked = await api.call(key, '/v1/profiles');
    expect(revoked.status).toBe(401);
    expect((await problem(revoked)).detail).toContain('revoked');
  });

  it('accepts the key as Bearer token and as HTTP Basic user name (how Segment libraries send it)', async () => {
    const key = await api.key(ws, ['profiles:read']);
    const basic = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
    expect((await api.call(undefined, '/v1/profiles', { headers: { authorization: basic } })).status).toBe(200);
    expect((await api.call(key, '/v1/profiles')).status).toBe(200);
  });

  it('answers 403 when the key lacks the route\'s scope, naming the scope', async () => {
    const writer = await api.key(ws, ['events:write']);
    const denied = await api.call(writer, '/v1/profiles');
    expect(denied.status).toBe(403);
    expect(await problem(denied)).toMatchObject({ code: 'INSUFFICIENT_SCOPE', detail: expect.stringContaining('profiles:read') });

    const reader = await api.call(await api.key(ws, ['profiles:read']), '/v1/track', { method: 'POST', body: { userId: 'u', event: 'x' } });
    expect(reader.status).toBe(403);
    expect((await problem(reader)).detail).toContain('events:write');
  });

  it('answers 429 with Retry-After once a key is over its per-minute limit, and counts per key', async () => {
    const key = await api.key(ws, ['profiles:read'], 3);
    const statuses: number[] = [];
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await api.call(key, '/v1/profiles');
      statuses.push(response.status);
      remaining.push(response.headers.get('ratelimit-remaining'));
      if (response.status === 429) {
        const retryAfter = Number(response.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(20);
        expect((await problem(response)).code).toBe('RATE_LIMITED');
      } else await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(remaining.slice(0, 3)).toEqual(['2', '1', '0']);
    expect((await api.call(await api.key(ws, ['profiles:read'], 3), '/v1/profiles')).status).toBe(200);
  });

  it('answers every error as problem+json with a Request-Id: unknown route, bad JSON, bad query, too large a body', async () => {
    const key = await api.key(ws, ['profiles:read', 'events:write']);
    const unknown = await api.call(key, '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect((await problem(unknown)).code).toBe('NOT_FOUND');

    const badJson = await api.call(key, '/v1/track', { method: 'POST', body: '{"userId": ', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(400);
    expect((await problem(badJson)).code).toBe('BAD_REQUEST');

    const badQuery = await api.call(key, '/v1/profiles?limit=0&kind=robot');
    expect(badQuery.status).toBe(400);
    const body = await problem(badQuery);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'limit' }), expect.objectContaining({ field: 'kind' })]));

    const huge = await api.call(key, '/v1/batch', { method: 'POST', body: { batch: [{ type: 'track', userId: 'u', event: 'x', properties: { blob: 'x'.repeat(600 * 1024) } }] } });
    expect(huge.status).toBe(413);
    expect((await problem(huge)).code).toBe('PAYLOAD_TOO_LARGE');

    const caller = await api.call(key, '/v1/nothing-here', { headers: { 'request-id': 'req-abc-1' } });
    expect(caller.headers.get('request-id')).toBe('req-abc-1');
  });

  it('records when a key was last used', async () => {
    const { apiKey, key } = await api.app.get(ApiKeysService).create(ws, { scopes: ['profiles:read'] });
    await (await api.call(key, '/v1/profiles')).arrayBuffer();
    const [listed] = (await api.app.get(ApiKeysService).list(ws)).filter((k) => k.id === apiKey.id);
    expect(listed!.lastUsedAt).not.toBeNull();
  });
});
