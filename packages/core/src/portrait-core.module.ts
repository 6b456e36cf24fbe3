import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { PORTRAIT_CONFIG, type PortraitConfig } from './engine/config/portrait-config.js';
import { dataSourceOptions } from './engine/database/data-source-options.js';
import { loggerOptions } from './engine/logger/logger.js';
import { LoggerModule } from './engine/logger/logger.module.js';
import { ObservabilityModule } from './engine/observability/observability.module.js';
import { PORTRAIT_APP_NAME } from './engine/observability/observability.tokens.js';
import { coreEntities } from './modules/entities.js';
import { WorkspacesModule } from './modules/workspaces/workspaces.module.js';
import { ProfilesModule } from './modules/profiles/profiles.module.js';
import { SuppressionModule } from './modules/suppression/suppression.module.js';
import { RetentionModule } from './modules/retention/retention.module.js';
import { IngestModule } from './modules/ingest/ingest.module.js';
import { IntakeModule } from './modules/intake/intake.module.js';
import { ApiKeysModule } from './modules/api-keys/api-keys.module.js';
import { PrivacyModule } from './modules/privacy/privacy.module.js';
import { WebhooksModule } from './modules/webhooks/webhooks.module.js';
import { SegmentsModule } from './modules/segments/segments.module.js';
import { TypologyModule } from './modules/typology/typology.module.js';
import { PersonasModule } from './modules/personas/personas.module.js';
import { IcpsModule } from './modules/icp/icps.module.js';
import { SyncModule } from './modules/sync/sync.module.js';
import { AdminUsersModule } from './modules/admin-users/admin-users.module.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { SegmentEditorModule } from './modules/segments/segment-editor.module.js';
import { Profile360Module } from './modules/profile-360/profile-360.module.js';
import { SegmentDestinationsModule } from './modules/sync/segment-destinations.module.js';
import { SourceSegmentDestinationDispatcher } from './modules/sync/source-segment-destination-dispatcher.js';
import type { Connector } from '@portrait/connector-sdk';
import type { DestinationStream } from 'pino';
import { Clock, SystemClock } from './engine/clock/clock.js';

export interface PortraitCoreOptions {
  config: PortraitConfig;
  /** The database every module talks to (DATABASE_URL, or the embedded instance's loopback URL). */
  databaseUrl: string;
  /** Names the process in logs and metrics: admin, api, worker, cli. */
  appName: string;
  /** Serve /healthz, /readyz and /metrics (HTTP apps). */
  observability?: boolean;
  /** Connectors built into the app (e.g. the CSV plugin); more come from PORTRAIT_PLUGINS. */
  connectors?: readonly Connector[];
  /** The time the process goes by; the machine's clock unless given (tests). */
  clock?: Clock;
  /** Where the logs go: stdout unless given (tests read what an app logged). */
  logDestination?: DestinationStream;
}

/** The core of Portrait, booted by every app: configuration, database, logging and the domain modules. */
@Global()
@Module({})
export class PortraitCoreModule {
  static forRoot(options: PortraitCoreOptions): DynamicModule {
    const { config } = options;
    const sync = SyncModule.forRoot(options.connectors);
    // Segment changes reach the destination sources of the sync engine.
    const segments = SegmentsModule.withDispatcher(SourceSegmentDestinationDispatcher, [sync]);
    return {
      module: PortraitCoreModule,
      imports: [
        LoggerModule.forRoot({
          ...loggerOptions(config, options.appName, options.logDestination !== undefined),
          ...(options.logDestination ? { stream: options.logDestination } : {}),
          genReqId: (req, res) => {
            const existing = req.headers['request-id'] ?? req.headers['x-request-id'];
            const id = typeof existing === 'string' && existing.length <= 128 ? existing : randomUUID();
            res.setHeader('Request-Id', id);
            return id;
          },
          autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes(req.url ?? '') },
        }),
        TypeOrmModule.forRoot(dataSourceOptions(options.databaseUrl, { poolSize: config.databasePoolSize, entities: coreEntities })),
        WorkspacesModule,
        ProfilesModule,
        IngestModule,
        SuppressionModule,
        RetentionModule,
        IntakeModule,
        ApiKeysModule,
        PrivacyModule.forRoot([segments, sync]),
        WebhooksModule,
        segments,
        TypologyModule,
        PersonasModule,
        IcpsModule,
        sync,
        AdminUsersModule,
        AuditModule,
        SegmentEditorModule,
        Profile360Module,
        SegmentDestinationsModule,
        ...(options.observability === false ? [] : [ObservabilityModule]),
      ],
      providers: [
        { provide: PORTRAIT_CONFIG, useValue: config },
        { provide: PORTRAIT_APP_NAME, useValue: options.appName },
        { provide: Clock, useValue: options.clock ?? new SystemClock() },
      ],
      exports: [PORTRAIT_CONFIG, PORTRAIT_APP_NAME, Clock, WorkspacesModule, ProfilesModule, IngestModule, SuppressionModule, RetentionModule, IntakeModule, ApiKeysModule, PrivacyModule, WebhooksModule, SegmentsModule, TypologyModule, PersonasModule, IcpsModule, SyncModule, AdminUsersModule, AuditModule, SegmentEditorModule, Profile360Module, SegmentDestinationsModule],
    };
  }
}
