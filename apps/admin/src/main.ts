import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { closeOnSignals, isMainModule, prepareRuntime, type Runtime } from '@portrait/core';
import { Logger } from 'nestjs-pino';
import { AdminModule } from './admin.module.js';

export async function createAdminApp(runtime: Runtime): Promise<INestApplication> {
  const app = await NestFactory.create(AdminModule.forRoot(runtime), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  return app;
}

async function main(): Promise<void> {
  const runtime = await prepareRuntime('admin');
  const app = await createAdminApp(runtime);
  closeOnSignals(app, runtime);
  await app.listen(runtime.config.adminPort, runtime.config.host);
}

if (isMainModule(import.meta.url)) await main();
