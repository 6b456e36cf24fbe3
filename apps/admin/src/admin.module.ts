import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { PortraitCoreModule, type PortraitCoreOptions, type Runtime } from '@portrait/core';
import { ProblemExceptionFilter, schemaValidationPipe } from '@portrait/core/http';
import { builtInConnectors } from '@portrait/connectors';
import { AuditInterceptor } from './audit/audit.interceptor.js';
import { AuditLogController } from './audit/audit-log.controller.js';
import { AdminAuthGuard } from './auth/admin-auth.guard.js';
import { MergesController } from './merges/merges.controller.js';
import { PersonasController } from './personas/personas.controller.js';
import { ProfilesController } from './profiles/profiles.controller.js';
import { SegmentsController } from './segments/segments.controller.js';
import { SessionController } from './session/session.controller.js';
import { TokensController } from './tokens/tokens.controller.js';
import { WorkspacesController } from './workspaces/workspaces.controller.js';

/**
 * The admin app: the management API under /admin/api (and, later, the web UI) for workspace
 * administrators. Every route under /admin/api needs a session or an admin token (AdminAuthGuard);
 * every change and every read of personal data is written to the audit log (AuditInterceptor).
 */
@Module({})
export class AdminModule {
  /** `connectors`: the connectors built into the app (the built-in ones unless a test brings its own). */
  static forRoot(runtime: Runtime, connectors: PortraitCoreOptions['connectors'] = builtInConnectors): DynamicModule {
    return {
      module: AdminModule,
      imports: [PortraitCoreModule.forRoot({ config: runtime.config, databaseUrl: runtime.database.url, appName: 'admin', connectors })],
      controllers: [SessionController, WorkspacesController, TokensController, ProfilesController, SegmentsController, PersonasController, MergesController, AuditLogController],
      providers: [
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        { provide: APP_FILTER, useClass: ProblemExceptionFilter },
        { provide: APP_PIPE, useFactory: schemaValidationPipe },
      ],
    };
  }
}
