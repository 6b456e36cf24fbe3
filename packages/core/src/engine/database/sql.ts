import { createHash } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';

/** Rows of a statement, whatever its kind (TypeORM answers UPDATE/DELETE differently from SELECT otherwise). */
export async function rows<T = Record<string, unknown>>(runner: QueryRunner, text: string, params: unknown[] = []): Promise<T[]> {
  const result = await runner.query(text, params, true);
  return (result.records ?? []) as T[];
}

/** The node-postgres pool under TypeORM's PostgreSQL driver. */
interface PgPool {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const statementNames = new Map<string, string>();

/** A prepared statement's name derived from its text: the same text, the same name, on every connection. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `portrait_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

const preparing = new WeakMap<PgPool, Promise<boolean>>();

/**
 * Whether the server keeps prepared statements per connection, as PostgreSQL does. The embedded
 * PGlite serves every connection from one session, where two connections preparing the same name
 * would collide; there statements go unnamed.
 */
function preparesPerConnection(pool: PgPool): Promise<boolean> {
  let answer = preparing.get(pool);
  if (!answer) {
    answer = pool.query({ text: 'SELECT version() AS version', values: [] }).then(
      (result) => !String((result.rows[0] as { version?: unknown } | undefined)?.version).includes('PGlite'),
      () => {
        preparing.delete(pool); // asked again next time
        return false;
      },
    );
    preparing.set(pool, answer);
  }
  return answer;
}

/**
 * One statement straight through the driver's connection pool, without TypeORM's query runner (a
 * runner per call, its events and logging): for the hot single-statement reads of the public API.
 * On PostgreSQL it is prepared under a name derived from its text, so each connection parses and
 * plans it once instead of on every call (the profile read's planning cost more than running it).
 * Callers pass a fixed set of texts with values as parameters. The rows are the same, parsed by
 * node-postgres either way.
 */
export async function poolQuery<T = Record<string, unknown>>(dataSource: DataSource, text: string, params: unknown[] = []): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool || typeof pool.query !== 'function') return dataSource.query(text, params);
  const name = (await preparesPerConnection(pool)) ? statementName(text) : undefined;
  return (await pool.query({ name, text, values: params })).rows as T[];
}

/**
 * Runs `work` in a transaction: the caller's when `existing` is given (the caller commits), else a new
 * one committed here, or rolled back if `work` throws.
 */
export async function inTransaction<T>(dataSource: DataSource, work: (runner: QueryRunner) => Promise<T>, existing?: QueryRunner): Promise<T> {
  if (existing) return work(existing);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    const result = await work(runner);
    await runner.commitTransaction();
    return result;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}

/**
 * Turns JIT compilation off for the rest of the transaction. The batch statements of the ingest, the
 * trait recompute and the segment and persona re-evaluations are short and index-driven, but wide and
 * over big tables, so the planner's estimates cross the JIT threshold: compiling them to machine code
 * cost more than running them (~100 ms a statement).
 */
export async function disableJit(runner: QueryRunner): Promise<void> {
  await runner.query(`SELECT set_config('jit', 'off', true)`);
}

/** Serializes writers of one workspace's profiles for the rest of the transaction. */
export async function lockWorkspaceProfiles(runner: QueryRunner, workspaceId: string): Promise<void> {
  await runner.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`portrait.profiles:${workspaceId}`]);
}

/**
 * Locks profile rows for the rest of the transaction, in id order. Every writer that holds several
 * profiles' rows at once (trait recomputes, which run outside the workspace lock, merges, unmerges)
 * takes them this way first, so that two of them never wait on each other in a cycle. The mode is the
 * one their UPDATEs take (no key changes): foreign-key checks of rows pointing at these profiles
 * (consent, account links) do not wait on it.
 */
export async function lockProfileRows(runner: QueryRunner, profileIds: string[]): Promise<void> {
  if (profileIds.length) await runner.query(`SELECT 1 FROM profiles WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [profileIds]);
}
