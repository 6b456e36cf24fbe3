import { type DynamicModule, Module } from '@nestjs/common';
import { PortraitCoreModule, type Runtime } from '@portrait/core';
import { builtInConnectors } from '@portrait/connectors';
import { AdminController } from './admin.controller.js';

/** The admin app: admin API (and, later, the web UI) for workspace administrators. */
@Module({})
export class AdminModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: AdminModule,
      imports: [PortraitCoreModule.forRoot({ config: runtime.config, databaseUrl: runtime.database.url, appName: 'admin', connectors: builtInConnectors })],
      controllers: [AdminController],
    };
  }
}
