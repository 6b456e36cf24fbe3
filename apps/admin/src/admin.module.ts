import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { PortraitCoreModule, type Runtime } from '@portrait/core';
import { ProblemExceptionFilter, schemaValidationPipe } from '@portrait/core/http';
import type { Connector } from '@portrait/connector-sdk';
import { builtInConnectors } from '@portrait/connectors';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { AuditInterceptor } from './audit/audit.interceptor.js';
import { AuditLogController } from './audit/audit-log.controller.js';
import { AdminAuthGuard } from './auth/admin-auth.guard.js';
import { ConnectorsController } from './connectors/connectors.controller.js';
import { JobsController } from './jobs/jobs.controller.js';
import { MergesController } from './merges/merges.controller.js';
import { PersonasController } from './personas/personas.controller.js';
import { IcpsController } from './icps/icps.controller.js';
import { PersonaDiscoveriesController } from './personas/persona-discoveries.controller.js';
import { ProfilesController } from './profiles/profiles.controller.js';
import { SegmentsController } from './segments/segments.controller.js';
import { SessionController } from './session/session.controller.js';
import { SettingsController } from './settings/settings.controller.js';
import { RetentionController } from './settings/retention.controller.js';
import { IntakeController } from './intake/intake.controller.js';
import { RunsController } from './sources/runs.controller.js';
import { SourcesController } from './sources/sources.controller.js';
import { SuppressionsController } from './suppressions/suppressions.controller.js';
import { TokensController } from './tokens/tokens.controller.js';
import { TypologyController } from './typology/typology.controller.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { WorkspacesController } from './workspaces/workspaces.controller.js';

/** Every controller of the management API (the audit test walks their routes). */
export const ADMIN_CONTROLLERS = [
  SessionController,
  WorkspacesController,
  TokensController,
  SegmentsController,
  MergesController,
  AuditLogController,
  ProfilesController,
  PersonasController,
  IcpsController,
  PersonaDiscoveriesController,
  ConnectorsController,
  SourcesController,
  RunsController,
  SettingsController,
  RetentionController,
  IntakeController,
  JobsController,
  ApiKeysController,
  WebhooksController,
  SuppressionsController,
  TypologyController,
] as const;

/**
 * The admin app: the management API under /admin/api (and, later, the web UI) for workspace
 * administrators. Every route under /admin/api needs a session or an admin token (AdminAuthGuard);
 * every change and every read of personal data is written to the audit log (AuditInterceptor).
 */
@Module({})
export class AdminModule {
  /** `connectors`: the connectors to install besides those of PORTRAIT_PLUGINS (the built-in ones unless given). */
  static forRoot(runtime: Runtime, connectors: readonly Connector[] = builtInConnectors): DynamicModule {
    return {
      module: AdminModule,
      imports: [PortraitCoreModule.forRoot({ config: runtime.config, databaseUrl: runtime.database.url, appName: 'admin', connectors, clock: runtime.clock, logDestination: runtime.logDestination })],
      controllers: [...ADMIN_CONTROLLERS],
      providers: [
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        { provide: APP_FILTER, useClass: ProblemExceptionFilter },
        { provide: APP_PIPE, useFactory: schemaValidationPipe },
      ],
    };
  }
}
