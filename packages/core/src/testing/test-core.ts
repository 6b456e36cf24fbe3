import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Connector } from '@portrait/connector-sdk';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../engine/config/portrait-config.js';
import { PortraitLogger } from '../engine/logger/portrait-logger.service.js';
import { PortraitCoreModule } from '../portrait-core.module.js';
import { WorkspacesService } from '../modules/workspaces/workspaces.service.js';
import { BullmqSyncScheduler } from '../modules/sync/scheduler/bullmq-sync-scheduler.js';
import { SyncScheduler } from '../modules/sync/scheduler/sync-scheduler.js';
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

/**
 * `env`: more configuration variables (e.g. PORTRAIT_SECRET_KEY) on top of the test database's;
 * `connectors`: built-in connectors of the core under test; `logDestination`: receives everything the
 * core logs (otherwise nothing is logged).
 */
export async function createTestCore(options: { env?: Record<string, string>; connectors?: readonly Connector[]; logDestination?: DestinationStream } = {}): Promise<TestCore> {
  const db = await createTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL, ...options.env });
  const app = await NestFactory.createApplicationContext(
    PortraitCoreModule.forRoot({ config, databaseUrl: db.url, appName: 'test', observability: false, connectors: options.connectors, logDestination: options.logDestination }),
    options.logDestination ? { bufferLogs: true } : { logger: false },
  );
  if (options.logDestination) app.useLogger(app.get(PortraitLogger));
  return {
    app,
    db,
    async workspace(slug = `ws-${++counter}`) {
      return (await app.get(WorkspacesService).create(slug)).id;
    },
    async close() {
      // The test database goes away: so do the sync schedules it left in Redis.
      const scheduler = app.get(SyncScheduler);
      if (scheduler instanceof BullmqSyncScheduler) await scheduler.removeQueue();
      await app.close();
      await db.close();
    },
  };
}
