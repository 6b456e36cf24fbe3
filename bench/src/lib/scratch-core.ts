import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import type { Connector } from '@portrait/connector-sdk';
import { loadConfig, PortraitCoreModule, runMigrations, type SyncOutcome, type SyncRunView } from '@portrait/core';

/** The server the benches run on: DATABASE_URL, or the local PostgreSQL. */
export const BENCH_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ScratchCore {
  /** The real core application, holding the connectors given. */
  app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>>;
  /** A plain connection to the scratch database, for checks. */
  query: (sql: string, params: unknown[]) => Promise<pg.QueryResult['rows']>;
}

/**
 * Runs `body` with the real core on a scratch database `name` of the benches' server: created empty and
 * migrated first, dropped after, whatever happens.
 */
export async function withScratchCore(name: string, connectors: Connector[], body: (core: ScratchCore) => Promise<void>): Promise<void> {
  const admin = new pg.Client(BENCH_DATABASE_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  try {
    await runMigrations(url.toString());
    const config = loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', PORTRAIT_SECRET_KEY: process.env.PORTRAIT_SECRET_KEY ?? 'b'.repeat(40) });
    const app = await NestFactory.createApplicationContext(
      PortraitCoreModule.forRoot({ config, databaseUrl: url.toString(), appName: 'bench', observability: false, connectors }),
      { logger: false },
    );
    const client = new pg.Client(url.toString());
    await client.connect();
    try {
      await body({ app, query: async (sql, params) => (await client.query(sql, params)).rows });
    } finally {
      await client.end();
      await app.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

/** The run of a sync that must have started and succeeded. */
export function succeeded(outcome: SyncOutcome): SyncRunView {
  if (!outcome.started) throw new Error('the sync did not start');
  if (outcome.run.status !== 'succeeded') throw new Error(`the sync ${outcome.run.status}: ${outcome.run.error}`);
  return outcome.run;
}
