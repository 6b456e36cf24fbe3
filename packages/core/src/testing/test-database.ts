import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../engine/database/data-source-options.js';
import { coreEntities } from '../modules/entities.js';
import { startEmbeddedPostgres } from '../engine/database/embedded-postgres.js';
import { migrations } from '../engine/database/migrations/index.js';
import { runMigrations } from '../engine/database/database-connection.js';

/**
 * A fresh, migrated database for one test file, so tests never see each other's rows:
 * - with DATABASE_URL: a new database created from a migrated template database on that server;
 * - without: a new embedded PostgreSQL (PGlite) loaded from a migrated template dump.
 * Templates are built once per schema version (a hash of the migrations' code) and reused.
 */
export interface TestDatabase {
  url: string;
  mode: 'postgres' | 'pglite';
  dataSource: DataSource;
  close(): Promise<void>;
}

const schemaVersion = createHash('sha256')
  .update(migrations.map((m) => `${m.name}\n${m.prototype.up.toString()}`).join('\n'))
  .digest('hex')
  .slice(0, 12);

export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  return serverUrl ? createOnServer(serverUrl, options.poolSize ?? 10) : createEmbedded(options.poolSize ?? 10);
}

async function createOnServer(serverUrl: string, poolSize: number): Promise<TestDatabase> {
  const template = `portrait_test_tpl_${schemaVersion}`;
  const name = `portrait_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`SELECT pg_advisory_lock(hashtext('portrait_test_template'))`);
    try {
      const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [template]);
      if (exists.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${template}`);
        try {
          await runMigrations(withDatabase(serverUrl, template));
        } catch (error) {
          await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
          throw error;
        }
      }
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await admin.query(`SELECT pg_advisory_unlock(hashtext('portrait_test_template'))`);
    }
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  const dataSource = await new DataSource(dataSourceOptions(url, { poolSize, entities: coreEntities })).initialize();
  return {
    url,
    mode: 'postgres',
    dataSource,
    async close() {
      await dataSource.destroy();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

async function createEmbedded(poolSize: number): Promise<TestDatabase> {
  const dump = await embeddedTemplate();
  const embedded = await startEmbeddedPostgres({ loadDataDir: new Blob([dump]) });
  const dataSource = await new DataSource(dataSourceOptions(embedded.url, { poolSize, entities: coreEntities })).initialize();
  return {
    url: embedded.url,
    mode: 'pglite',
    dataSource,
    async close() {
      await dataSource.destroy();
      await embedded.stop();
    },
  };
}

/** The migrated PGlite data directory as a gzip'd tarball, built once and cached in the temp dir. */
async function embeddedTemplate(): Promise<Buffer> {
  const file = join(tmpdir(), `portrait-pglite-template-${schemaVersion}.tar.gz`);
  if (existsSync(file)) return readFileSync(file);
  const lock = `${file}.lock`;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      if (existsSync(file)) return readFileSync(file);
      // A lock older than two minutes belongs to a process that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { force: true });
      } catch {
        /* the lock went away meanwhile */
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    if (existsSync(file)) return readFileSync(file);
    const embedded = await startEmbeddedPostgres();
    try {
      await runMigrations(embedded.url);
      const blob = await embedded.db.dumpDataDir('gzip');
      const buffer = Buffer.from(await blob.arrayBuffer());
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, buffer);
      renameSync(partial, file);
      return buffer;
    } finally {
      await embedded.stop();
    }
  } finally {
    rmSync(lock, { force: true });
  }
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
