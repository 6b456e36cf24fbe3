import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { builtInConnectors } from '@portrait/connectors';
import {
  AuditLogService,
  embeddedSecretKey,
  loadConfigOrExit,
  pendingMigrations,
  PortraitCoreModule,
  PortraitException,
  PortraitLogger,
  resolveDatabase,
  runMigrations,
  WorkspacesService,
  type AuditActor,
  type AuditEntryInput,
  type PortraitConfig,
} from '@portrait/core';

/**
 * Runs `work` with the core's services on the configured database: DATABASE_URL, or the embedded
 * database — through the running instance's socket when `pnpm start` owns it, opened (and migrated,
 * as `pnpm start` would) here otherwise. On DATABASE_URL, pending migrations stop it with the command
 * that applies them. A domain error (bad slug, unknown id…) is printed on one line and exits non-zero.
 */
export async function withCore<T>(work: (app: INestApplicationContext, config: PortraitConfig) => Promise<T>): Promise<T> {
  const loaded = loadConfigOrExit('cli');
  const target = await resolveDatabase(loaded);
  // The embedded installation's own key, as `pnpm start` uses it, unless one is given.
  const config = { ...loaded, secretKey: loaded.secretKey ?? (target.mode === 'external' ? undefined : embeddedSecretKey(loaded.dataDir)) };
  try {
    if (target.mode === 'embedded') await runMigrations(target.url);
    if (target.mode === 'external' && (await pendingMigrations(target.url)).length) {
      fail('the database schema is not current: run `pnpm portrait db:migrate` first');
    }
    return await withCoreAt(config, target.url, (app) => work(app, config));
  } catch (error) {
    if (error instanceof PortraitException) fail(error.message);
    throw error;
  } finally {
    await target.release();
  }
}

/** Boots the core's services (no HTTP) on the database at `databaseUrl` for the length of `work`. */
export async function withCoreAt<T>(config: PortraitConfig, databaseUrl: string, work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const app = await NestFactory.createApplicationContext(
    PortraitCoreModule.forRoot({ config: { ...config, logLevel: 'warn' }, databaseUrl, appName: 'cli', observability: false, connectors: builtInConnectors }),
    { logger: ['error', 'warn'], bufferLogs: true },
  );
  // Logs go through Portrait's logger: errors without SQL parameters or the values they failed on.
  app.useLogger(app.get(PortraitLogger));
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/** Prints a one-line error and exits non-zero: the CLI's way to report a user mistake. */
export function fail(message: string): never {
  process.stderr.write(`portrait: ${message}\n`);
  process.exit(1);
}

/** The workspace with this slug, or a one-line error. */
export async function requireWorkspace(app: INestApplicationContext, slug: string): Promise<{ id: string; slug: string }> {
  const workspace = await app.get(WorkspacesService).findBySlug(slug);
  if (!workspace) fail(`workspace "${slug}" does not exist`);
  return workspace;
}

/** A JSON file's content, or a one-line error naming the file. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    fail(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    fail(`${file} is not JSON: ${(error as Error).message}`);
  }
}

/** Who acts, in the audit log, when a command changes something or reads personal data: the operator's OS user. */
export function cliActor(): AuditActor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    /* no user entry for this uid (containers) */
  }
  return { label: `cli:${name}`, via: 'cli' };
}

/** Writes a command's audit entry (a change, or a read of personal data), as the operator at the CLI. */
export function auditCli(app: INestApplicationContext, entry: Omit<AuditEntryInput, 'actor'>): Promise<void> {
  return app.get(AuditLogService).record({ ...entry, actor: cliActor() });
}
