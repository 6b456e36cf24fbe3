import { ApiKeysService } from '@portrait/core';
import { createTestDatabase, testRedis, type TestDatabase } from '@portrait/core/testing';
import { Redis } from 'ioredis';
import { createTestApi, type TestApi } from './support/test-api.js';

const SUITE = 'rate limits shared through Redis';
/** Redis of the distributed mode: REDIS_URL when set (CI starts one), else the local default (see testRedis). */
const { url: REDIS_URL, available } = await testRedis(SUITE);

(available ? describe : describe.skip)(SUITE, () => {
  let db: TestDatabase;
  let first: TestApi;
  let second: TestApi;

  beforeAll(async () => {
    db = await createTestDatabase();
    first = await createTestApi({ db, redisUrl: REDIS_URL });
    second = await createTestApi({ db, redisUrl: REDIS_URL });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await db?.close();
  });

  it('enforces one budget per key across two API processes', async () => {
    const ws = await first.workspace();
    const key = await first.key(ws, ['profiles:read'], 4);
    const statuses: number[] = [];
    for (const api of [first, second, first, second, first, second]) {
      const response = await api.call(key, '/v1/profiles');
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);

    // The bucket lives in Redis under the key's id, with an expiry (a minute refills it).
    const redis = new Redis(REDIS_URL);
    try {
      const [apiKey] = await first.app.get(ApiKeysService).list(ws);
      const ttl = await redis.pttl(`portrait:api-rate:${apiKey!.id}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(61_000);
    } finally {
      redis.disconnect();
    }
  });
});
