import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { closeOnSignals, isMainModule, PortraitLogger, prepareRuntime, type Runtime } from '@portrait/core';
import { AdminModule } from './admin.module.js';

export async function createAdminApp(runtime: Runtime): Promise<INestApplication> {
  const app = await NestFactory.create(AdminModule.forRoot(runtime), { bufferLogs: true });
  app.useLogger(app.get(PortraitLogger));
  return app;
}

async function main(): Promise<void> {
  const runtime = await prepareRuntime('admin');
  const app = await createAdminApp(runtime);
  closeOnSignals(app, runtime);
  await app.listen(runtime.config.adminPort, runtime.config.host);
}

if (isMainModule(import.meta.url)) await main();
