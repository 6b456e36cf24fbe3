import { type DynamicModule, Module } from '@nestjs/common';
import { PortraitCoreModule, type Runtime } from '@portrait/core';
import { builtInConnectors } from '@portrait/connectors';

/** The worker: sends outgoing webhooks (and, as they land, runs scheduled jobs); serves only health and metrics over HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: WorkerModule,
      imports: [PortraitCoreModule.forRoot({ config: runtime.config, databaseUrl: runtime.database.url, appName: 'worker', connectors: builtInConnectors, clock: runtime.clock, logDestination: runtime.logDestination })],
    };
  }
}
