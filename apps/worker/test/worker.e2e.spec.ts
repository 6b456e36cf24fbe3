import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { createWorkerApp } from '../src/main.js';

describe('worker app', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ LOG_LEVEL: 'warn', DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL });
    app = await createWorkerApp({ config, database: { url: db.url, mode: 'external', release: async () => {} } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('reports the database (and Redis when configured) on /readyz', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: Record<string, { status: string }> };
    expect(body.details.database.status).toBe('up');
    if (process.env.REDIS_URL) expect(body.details.redis.status).toBe('up');
  });

  it('reports not ready when Redis is configured but does not answer', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' });
    const broken = await createWorkerApp({ config, database: { url: db.url, mode: 'external', release: async () => {} } });
    await broken.listen(0, '127.0.0.1');
    try {
      const ready = await fetch(`${await broken.getUrl()}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { details: Record<string, { status: string }> }).details.redis.status).toBe('down');
    } finally {
      await broken.close();
    }
  });
});
