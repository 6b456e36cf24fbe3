import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Connector } from '@portrait/connector-sdk';
import { closeOnSignals, isMainModule, PortraitLogger, prepareRuntime, type Runtime } from '@portrait/core';
import { AdminModule } from './admin.module.js';
import { ADMIN_OPENAPI_PATH, buildAdminOpenApiDocument } from './openapi/admin-openapi-document.js';
import { serveWebUi, webUiRoot } from './web/web-ui.js';

/**
 * The admin app on `runtime`: the management API under /admin/api and, once `@portrait/admin-web` is
 * built, the web UI at /. `connectors` replaces the built-in connectors (an embedding app's own list).
 */
export async function createAdminApp(runtime: Runtime, connectors?: readonly Connector[]): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AdminModule.forRoot(runtime, connectors),
    new FastifyAdapter({
      // Behind a proxy: the client address (sign-in limits, audit log) and TLS (Secure cookies) come from X-Forwarded-*.
      trustProxy: true,
      requestIdHeader: 'request-id',
      genReqId: () => randomUUID(),
      bodyLimit: 1024 * 1024,
    }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(PortraitLogger));
  const fastify = app.getHttpAdapter().getInstance();
  // Every reply, errors and 404s included, names its request.
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('Request-Id', request.id);
  });
  const document = buildAdminOpenApiDocument(app);
  fastify.get(ADMIN_OPENAPI_PATH, async (_request, reply) => reply.type('application/json').send(document));
  const webRoot = webUiRoot();
  if (webRoot) await serveWebUi(app, webRoot);
  return app;
}

async function main(): Promise<void> {
  const runtime = await prepareRuntime('admin');
  const app = await createAdminApp(runtime);
  closeOnSignals(app, runtime);
  await app.listen(runtime.config.adminPort, runtime.config.host);
}

if (isMainModule(import.meta.url)) await main();
