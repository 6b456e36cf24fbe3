import { NestFactory } from '@nestjs/core';
import { loadConfig, PortraitCoreModule, SyncService } from '@portrait/core';
import connector from '../../src/index.js';

/**
 * A separate Portrait process that runs one full sync of a source: killed by a test (SIGKILL) while it
 * reads, or left to finish. argv: database URL, source id. The sandbox is reached through the
 * source's stored configuration (its `apiBaseUrl`), as a worker reaches it.
 */
const [databaseUrl, sourceId] = process.argv.slice(2) as [string, string];
const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, PORTRAIT_SECRET_KEY: process.env.PORTRAIT_SECRET_KEY! });
const app = await NestFactory.createApplicationContext(
  PortraitCoreModule.forRoot({ config, databaseUrl, appName: 'killed', observability: false, connectors: [connector] }),
  { logger: false },
);
process.send?.('ready');
await app.get(SyncService).sync(sourceId, { mode: 'full' });
process.send?.('finished');
await app.close();
