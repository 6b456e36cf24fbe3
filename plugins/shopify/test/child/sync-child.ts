import { NestFactory } from '@nestjs/core';
import { loadConfig, PortraitCoreModule, SyncService } from '@portrait/core';
import connector from '../../src/index.js';
import { registerSandboxShop } from '../../src/sandbox/index.js';

/**
 * A separate Portrait process that runs one full sync of a source and is killed by the test
 * (SIGKILL) while it streams a bulk operation's file. argv: database URL, source id, shop, sandbox URL.
 */
const [databaseUrl, sourceId, shop, sandboxUrl] = process.argv.slice(2) as [string, string, string, string];
registerSandboxShop(shop, sandboxUrl, (path) => path.includes('/bulk-operation-outputs/'));
const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, PORTRAIT_SECRET_KEY: process.env.PORTRAIT_SECRET_KEY! });
const app = await NestFactory.createApplicationContext(
  PortraitCoreModule.forRoot({ config, databaseUrl, appName: 'killed', observability: false, connectors: [connector] }),
  { logger: false },
);
process.send?.('ready');
await app.get(SyncService).sync(sourceId, { mode: 'full' });
process.send?.('finished');
await app.close();
