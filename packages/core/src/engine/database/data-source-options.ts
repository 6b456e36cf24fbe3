import type { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations/index.js';

export interface DataSourceSettings {
  /** Connections in the pool. */
  poolSize?: number;
  /**
   * The entity classes the modules map (`modules/entities.ts`). The engine knows no module: callers
   * that only run SQL or migrations leave it empty.
   */
  entities?: NonNullable<DataSourceOptions['entities']>;
}

/** TypeORM options for either run mode: both reach PostgreSQL through `pg` at a URL. */
export function dataSourceOptions(url: string, { poolSize = 10, entities = [] }: DataSourceSettings = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'portrait_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: poolSize, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 15_000 },
  };
}
