import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { createApiApp } from '../src/main.js';

describe('api app', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ LOG_LEVEL: 'warn', DATABASE_URL: db.url });
    app = await createApiApp({ config, database: { url: db.url, mode: 'external', release: async () => {} } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers /healthz and reports the database up on /readyz', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { info: { database: { status: string } } }).info.database.status).toBe('up');
  });

  it('serves Prometheus metrics with HTTP latency by route and the database pool', async () => {
    await fetch(`${base}/healthz`);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{app="api",method="GET",route="\/healthz",status_code="200"\} \d+/);
    expect(metrics).toMatch(/portrait_db_pool_connections\{state="total",app="api"\} \d+/);
    expect(metrics).toContain('process_cpu_user_seconds_total');
  });

  it('gives every response a Request-Id, echoing the caller one', async () => {
    const own = await fetch(`${base}/healthz`, { headers: { 'Request-Id': 'req-123' } });
    expect(own.headers.get('request-id')).toBe('req-123');
    const generated = await fetch(`${base}/healthz`);
    expect(generated.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
