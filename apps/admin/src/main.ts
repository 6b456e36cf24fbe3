import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { closeOnSignals, isMainModule, PortraitLogger, prepareRuntime, type PortraitCoreOptions, type Runtime } from '@portrait/core';
import { AdminModule } from './admin.module.js';
import { ADMIN_OPENAPI_PATH, buildAdminOpenApiDocument } from './openapi/admin-openapi-document.js';

export async function createAdminApp(runtime: Runtime, options: { connectors?: PortraitCoreOptions['connectors'] } = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AdminModule.forRoot(runtime, options.connectors),
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
  return app;
}

async function main(): Promise<void> {
  const runtime = await prepareRuntime('admin');
  const app = await createAdminApp(runtime);
  closeOnSignals(app, runtime);
  await app.listen(runtime.config.adminPort, runtime.config.host);
}

if (isMainModule(import.meta.url)) await main();
