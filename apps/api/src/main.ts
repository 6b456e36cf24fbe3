import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Connector } from '@portrait/connector-sdk';
import { closeOnSignals, IntakeProcessor, isMainModule, PortraitLogger, prepareRuntime, SegmentDestinationPusher, type Runtime } from '@portrait/core';
import { ApiModule } from './api.module.js';
import { buildOpenApiDocument, serveOpenApi } from './openapi/openapi-document.js';
import { useRequestBodyParser } from './http/request-body.js';
import { MAX_BATCH_BYTES } from './tracking/tracking.service.js';

/** `connectors`: installed besides the built-in ones (tests; in production they come from PORTRAIT_PLUGINS). */
export async function createApiApp(runtime: Runtime, options: { connectors?: readonly Connector[] } = {}): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(runtime, options.connectors), new FastifyAdapter({
      trustProxy: true,
      requestIdHeader: 'request-id',
      genReqId: () => randomUUID(),
      // The largest body any route takes: a tracking batch (Segment's 500 KB); larger ones get a 413.
      bodyLimit: MAX_BATCH_BYTES,
    }), {
    bufferLogs: true,
    // Channel webhooks are verified over the exact bytes received (JSON and form bodies keep them as `rawBody`).
    rawBody: true,
  });
  app.useLogger(app.get(PortraitLogger));
  // One parser for every body: decompressed, checked for what cannot be stored, JSON for tracking whatever its type.
  useRequestBodyParser(app, MAX_BATCH_BYTES);
  // Fastify names each request (the caller's Request-Id, or a new UUID); the id goes back on every
  // reply, errors and 404s included.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply) => {
      reply.header('Request-Id', request.id);
    });
  serveOpenApi(app, buildOpenApiDocument(app));
  // Tracking messages are drained from the intake log by the worker; with no queue configured (one
  // machine, as the embedded sync scheduler assumes) the API drains them too. Processors share the log safely.
  if (!runtime.config.redisUrl) app.get(IntakeProcessor).start();
  // The segment pushes its ingests queue for destinations, likewise (pushers share the outbox under leases).
  if (!runtime.config.redisUrl) app.get(SegmentDestinationPusher).start();
  return app;
}

async function main(): Promise<void> {
  const runtime = await prepareRuntime('api');
  const app = await createApiApp(runtime);
  closeOnSignals(app, runtime);
  await app.listen(runtime.config.apiPort, runtime.config.host);
}

if (isMainModule(import.meta.url)) await main();
