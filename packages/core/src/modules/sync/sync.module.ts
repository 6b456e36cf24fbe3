import { type DynamicModule, Module } from '@nestjs/common';
import type { Connector } from '@portrait/connector-sdk';
import { PORTRAIT_CONFIG, type PortraitConfig } from '../../engine/config/portrait-config.js';
import { CryptoModule } from '../../engine/crypto/crypto.module.js';
import { IngestModule } from '../ingest/ingest.module.js';
import { DeadLetterRetryService } from './dead-letter-retry.service.js';
import { BUILTIN_CONNECTORS, PluginRegistry } from './plugin-registry.js';
import { BullmqSyncScheduler } from './scheduler/bullmq-sync-scheduler.js';
import { EmbeddedSyncScheduler } from './scheduler/embedded-sync-scheduler.js';
import { SyncScheduler } from './scheduler/sync-scheduler.js';
import { SourceRepository } from './source-repository.js';
import { SourcesService } from './sources.service.js';
import { SyncRunner } from './sync-runner.js';
import { SyncRunsService } from './sync-runs.service.js';
import { SyncService } from './sync.service.js';

/**
 * The sync engine: installed connectors, sources (secrets sealed), runs that ingest batches with
 * their checkpoints in one transaction, dead letters, webhooks, and a scheduler — in-process cron
 * when embedded, BullMQ when REDIS_URL is set.
 */
@Module({})
export class SyncModule {
  static forRoot(connectors: readonly Connector[] = []): DynamicModule {
    return {
      module: SyncModule,
      // Privacy requests that arrive by webhook are carried out by the privacy module's
      // PrivacyRequestsService, which the core exports to every module: the privacy module itself
      // imports this one (an erasure asks the sync engine to delete its dead letters).
      imports: [IngestModule, CryptoModule],
      providers: [
        { provide: BUILTIN_CONNECTORS, useValue: connectors },
        PluginRegistry,
        SourceRepository,
        SourcesService,
        SyncRunsService,
        DeadLetterRetryService,
        SyncRunner,
        SyncService,
        EmbeddedSyncScheduler,
        BullmqSyncScheduler,
        {
          provide: SyncScheduler,
          inject: [PORTRAIT_CONFIG, EmbeddedSyncScheduler, BullmqSyncScheduler],
          useFactory: (config: PortraitConfig, embedded: EmbeddedSyncScheduler, distributed: BullmqSyncScheduler) => (config.redisUrl ? distributed : embedded),
        },
      ],
      exports: [CryptoModule, PluginRegistry, SourceRepository, SourcesService, SyncRunsService, DeadLetterRetryService, SyncService, SyncScheduler],
    };
  }
}
