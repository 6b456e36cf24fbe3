import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { closeOnSignals, IcpScoringService, IntakeProcessor, isMainModule, PersonaAssignmentService, PersonaDiscoveryService, PortraitLogger, prepareRuntime, ProfileRecomputeService, RecomputeJobsService, RetentionService, SegmentDestinationPusher, SegmentMembershipService, SyncScheduler, TypologyClassificationService, WebhookDispatcher, type Runtime } from '@portrait/core';
import { WorkerModule } from './worker.module.js';

export async function createWorkerApp(runtime: Runtime): Promise<INestApplication> {
  const app = await NestFactory.create(WorkerModule.forRoot(runtime), { bufferLogs: true });
  app.useLogger(app.get(PortraitLogger));
  // Only the worker sends outgoing webhooks; other processes queue them.
  app.get(WebhookDispatcher).start();
  // Only the worker recomputes segments on a schedule (clock-dependent ones, and all of them daily).
  app.get(SegmentMembershipService).startSchedules();
  // And re-assigns personas on a schedule (clock-dependent rules, and every workspace daily).
  app.get(PersonaAssignmentService).startSchedules();
  // And re-scores ICP fits on a schedule (clock-dependent criteria, and every workspace daily).
  app.get(IcpScoringService).startSchedules();
  // And runs the persona discoveries too large to run in the request that started them.
  app.get(PersonaDiscoveryService).startSchedules();
  // And classifies every workspace's people again daily (engagement windows move with the clock).
  app.get(TypologyClassificationService).startSchedules();
  // And recomputes the traits an ingest batch queued but whose process stopped before recomputing them.
  app.get(ProfileRecomputeService).startSchedules();
  // And runs recompute jobs: backfills after a settings change, and the hourly refresh of computed traits that move with the clock.
  app.get(RecomputeJobsService).startSchedules();
  // And applies every workspace's retention of events and dead letters, once a day.
  app.get(RetentionService).startSchedules();
  // And drains the tracking intake log into profiles (shared with other workers, and with the API when no REDIS_URL is set).
  app.get(IntakeProcessor).start();
  // And delivers the segment push outbox to destinations, retrying failed pushes (shared with other workers, and with the API when no REDIS_URL is set).
  app.get(SegmentDestinationPusher).start();
  // Only the worker runs syncs: cron timers when embedded, BullMQ jobs (shared with other workers) with REDIS_URL.
  const logger = app.get(PortraitLogger);
  void app
    .get(SyncScheduler)
    .start()
    .catch((error: Error) => logger.error({ err: error }, 'the sync scheduler could not start'));
  return app;
}

async function main(): Promise<void> {
  const runtime = await prepareRuntime('worker');
  const app = await createWorkerApp(runtime);
  closeOnSignals(app, runtime);
  await app.listen(runtime.config.workerPort, runtime.config.host);
}

if (isMainModule(import.meta.url)) await main();
