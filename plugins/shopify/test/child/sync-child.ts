import { NestFactory } from '@nestjs/core';
import { loadConfig, PortraitCoreModule, SyncService } from '@portrait/core';
import connector from '../../src/index.js';
import { registerSandboxShop } from '../../src/sandbox/index.js';

/**
 * A separate Portrait process that runs one full sync of a source: killed by a test (SIGKILL) while it
 * streams a bulk operation's file, or left to finish. argv: database URL, source id, and, to route the
 * shop to a sandbox through the sandbox's transport hook, shop and sandbox URL; without them the
 * process has no sandbox routes (as a worker), and only the source's configuration says where the shop is.
 */
const [databaseUrl, sourceId, shop, sandboxUrl] = process.argv.slice(2) as [string, string, string?, string?];
if (shop && sandboxUrl) registerSandboxShop(shop, sandboxUrl, (path) => path.includes('/bulk-operation-outputs/'));
const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, PORTRAIT_SECRET_KEY: process.env.PORTRAIT_SECRET_KEY! });
const app = await NestFactory.createApplicationContext(
  PortraitCoreModule.forRoot({ config, databaseUrl, appName: 'killed', observability: false, connectors: [connector] }),
  { logger: false },
);
process.send?.('ready');
await app.get(SyncService).sync(sourceId, { mode: 'full' });
process.send?.('finished');
await app.close();
