import type { INestApplication } from '@nestjs/common';
import { loadConfig, WorkspacesService } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { createAdminApp } from '../src/main.js';

describe('admin app', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ LOG_LEVEL: 'warn', DATABASE_URL: db.url });
    app = await createAdminApp({ config, database: { url: db.url, mode: 'external', release: async () => {} } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { details: Record<string, { status: string }> }).details.database.status).toBe('up');
  });

  it('lists the workspaces', async () => {
    await app.get(WorkspacesService).create('acme', 'Acme Inc');
    const body = (await (await fetch(`${base}/api/workspaces`)).json()) as { data: unknown[] };
    expect(body.data).toEqual([expect.objectContaining({ slug: 'acme', name: 'Acme Inc' })]);
  });
});
