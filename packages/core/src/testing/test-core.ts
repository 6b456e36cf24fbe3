import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../engine/config/portrait-config.js';
import { PortraitCoreModule } from '../portrait-core.module.js';
import { WorkspacesService } from '../modules/workspaces/workspaces.service.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** The core's services booted on a fresh test database, for integration tests. */
export interface TestCore {
  app: INestApplicationContext;
  db: TestDatabase;
  /** Creates a workspace and returns its id. */
  workspace(slug?: string): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

/** `env`: more configuration variables (e.g. PORTRAIT_SECRET_KEY) on top of the test database's. */
export async function createTestCore(options: { env?: Record<string, string> } = {}): Promise<TestCore> {
  const db = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL, ...options.env });
  const app = await NestFactory.createApplicationContext(
    PortraitCoreModule.forRoot({ config, databaseUrl: db.url, appName: 'test', observability: false }),
    { logger: false },
  );
  return {
    app,
    db,
    async workspace(slug = `ws-${++counter}`) {
      return (await app.get(WorkspacesService).create(slug)).id;
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}
