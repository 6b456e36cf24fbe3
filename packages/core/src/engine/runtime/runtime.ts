import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { INestApplication } from '@nestjs/common';
import { ConfigError, loadConfig, type PortraitConfig } from '../config/portrait-config.js';
import { pendingMigrations, resolveDatabase, runMigrations, type DatabaseTarget } from '../database/database-connection.js';
import { createLogger } from '../logger/logger.js';
import type { Clock } from '../clock/clock.js';
import type { DestinationStream } from 'pino';

export interface Runtime {
  config: PortraitConfig;
  database: DatabaseTarget;
  /** The time the process goes by; the machine's clock unless given (tests). */
  clock?: Clock;
  /** Where the app's logs go: stdout unless given (tests read what an app logged). */
  logDestination?: DestinationStream;
}

/**
 * What every process does before it boots: read the configuration (exit with one clear message when
 * it is invalid), find the database, and make sure its schema is current — migrating the embedded
 * database this process owns, refusing to run on a real PostgreSQL with pending migrations.
 */
export async function prepareRuntime(appName: string, env: Record<string, string | undefined> = process.env): Promise<Runtime> {
  const config = loadConfigOrExit(appName, env);
  const logger = createLogger(config, appName);
  const database = await resolveDatabase(config);
  if (database.mode === 'embedded') {
    const ran = await runMigrations(database.url);
    if (ran.length) logger.info({ migrations: ran }, 'embedded database migrated');
  } else {
    const pending = await pendingMigrations(database.url);
    if (pending.length) {
      logger.fatal({ pending }, 'the database schema is not current: run `pnpm portrait db:migrate` first');
      await database.release();
      process.exit(1);
    }
  }
  return { config, database };
}

export function loadConfigOrExit(appName: string, env: Record<string, string | undefined> = process.env): PortraitConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`portrait ${appName}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Closes the app and then the database it may own, once, on SIGINT or SIGTERM. */
export function closeOnSignals(app: INestApplication, runtime: Runtime, onClosed: () => void = () => process.exit(0)): void {
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    try {
      await app.close();
    } finally {
      await runtime.database.release();
      onClosed();
    }
  };
  process.once('SIGINT', close);
  process.once('SIGTERM', close);
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(process.argv[1]);
  } catch {
    return false;
  }
}
