import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { Connector } from '@portrait/connector-sdk';
import { PortraitCoreModule, type Runtime } from '@portrait/core';
import { builtInConnectors } from '@portrait/connectors';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { ProblemExceptionFilter, schemaValidationPipe } from '@portrait/core/http';
import { PrivacyController } from './privacy/privacy.controller.js';
import { ProfilesController } from './profiles/profiles.controller.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { TrackingController } from './tracking/tracking.controller.js';
import { TrackingService } from './tracking/tracking.service.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';
import { SegmentsController } from './segments/segments.controller.js';
import { PersonasController } from './personas/personas.controller.js';
import { SourceWebhooksController } from './source-webhooks/source-webhooks.controller.js';

/** The public API for partner apps: profiles to read, Segment-compatible tracking to write, GDPR export and erasure, outgoing webhook subscriptions. */
@Module({})
export class ApiModule {
  /** `connectors`: installed besides the built-in ones. */
  static forRoot(runtime: Runtime, connectors: readonly Connector[] = []): DynamicModule {
    return {
      module: ApiModule,
      imports: [PortraitCoreModule.forRoot({ config: runtime.config, databaseUrl: runtime.database.url, appName: 'api', connectors: [...builtInConnectors, ...connectors], clock: runtime.clock, logDestination: runtime.logDestination }), RateLimitModule],
      controllers: [ProfilesController, PrivacyController, TrackingController, WebhooksController, SegmentsController, PersonasController, SourceWebhooksController],
      providers: [
        ApiKeyGuard,
        TrackingService,
        { provide: APP_FILTER, useClass: ProblemExceptionFilter },
        { provide: APP_PIPE, useFactory: schemaValidationPipe },
      ],
    };
  }
}
