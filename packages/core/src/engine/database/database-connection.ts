import { DataSource } from 'typeorm';
import type { PortraitConfig } from '../config/portrait-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { portAnswers, readRunningInstance, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseTarget {
  url: string;
  /** 'external': DATABASE_URL; 'embedded': this process serves the embedded database; 'attached': another process does. */
  mode: 'external' | 'embedded' | 'attached';
  /** Stops the embedded database when this process started it; a no-op otherwise. */
  release(): Promise<void>;
  embedded?: EmbeddedPostgres;
}

/**
 * Where the database is: DATABASE_URL when set; else the embedded database of PORTRAIT_DATA_DIR —
 * reached through the running instance's loopback socket when one owns the directory, started
 * in this process otherwise.
 */
export async function resolveDatabase(config: PortraitConfig): Promise<DatabaseTarget> {
  if (config.databaseUrl) return { url: config.databaseUrl, mode: 'external', release: async () => {} };
  const running = readRunningInstance(config.dataDir);
  if (running && (await portAnswers(running.port))) {
    return { url: running.url, mode: 'attached', release: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir });
  return { url: embedded.url, mode: 'embedded', embedded, release: () => embedded.stop() };
}

/** Applies every pending migration; returns the names of those it ran. */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(url, { poolSize: 2 }));
  await dataSource.initialize();
  try {
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}

/** Names of migrations not yet applied to the database at `url`. */
export async function pendingMigrations(url: string): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(url, { poolSize: 1 }));
  await dataSource.initialize();
  try {
    const runner = dataSource.createQueryRunner();
    try {
      const hasTable = await runner.hasTable('portrait_migrations');
      const applied = new Set<string>(
        hasTable ? (await runner.query(`SELECT name FROM portrait_migrations`)).map((r: { name: string }) => r.name) : [],
      );
      return dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
    } finally {
      await runner.release();
    }
  } finally {
    await dataSource.destroy();
  }
}
