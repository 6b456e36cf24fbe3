import type { DataSourceOptions } from 'typeorm';
import { WorkspaceEntity } from '../../modules/workspaces/entities/workspace.entity.js';
import { ProfileEntity } from '../../modules/profiles/entities/profile.entity.js';
import { migrations } from './migrations/index.js';

export const entities = [WorkspaceEntity, ProfileEntity];

/** TypeORM options for either run mode: both reach PostgreSQL through `pg` at a URL. */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
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
