import { type DynamicModule, Module } from '@nestjs/common';
import { PortraitCoreModule, type Runtime } from '@portrait/core';

/** The public API for partner apps. */
@Module({})
export class ApiModule {
  static forRoot(runtime: Runtime): DynamicModule {
    return {
      module: ApiModule,
      imports: [PortraitCoreModule.forRoot({ config: runtime.config, databaseUrl: runtime.database.url, appName: 'api' })],
    };
  }
}
