import type { DataSource } from 'typeorm';

/**
 * A stable handle made of a name: `Big spenders (BR)` → `big-spenders-br` (accents dropped, lower-case
 * letters, digits and `-`, at most 90 characters); `fallback` when nothing of the name is left.
 */
export function handleFromName(name: string, fallback: string): string {
  const key = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 90)
    .replace(/-+$/, '');
  return key || fallback;
}

/** The tables whose live rows carry a handle unique per workspace (`key`, soft-deleted with `deleted_at`). */
export type HandleTable = 'segments' | 'personas' | 'icps';

/**
 * `base`, or the first of `base-2`, `base-3`… that no live row of `table` in the workspace holds. A
 * race with another writer is left to the table's unique index.
 */
export async function freeHandle(dataSource: DataSource, table: HandleTable, workspaceId: string, base: string): Promise<string> {
  const taken: { key: string }[] = await dataSource.query(
    // `table` is one of the names above, never input; a derived key holds only letters, digits and -, which LIKE reads literally.
    `SELECT key FROM ${table} WHERE workspace_id = $1 AND deleted_at IS NULL AND (key = $2 OR key LIKE $3)`,
    [workspaceId, base, `${base}-%`],
  );
  const used = new Set(taken.map((t) => t.key));
  let key = base;
  for (let n = 2; used.has(key); n++) key = `${base}-${n}`;
  return key;
}

/**
 * The key a row of `table` is written with: the one asked for; else, for a row being updated, its
 * current key; else one derived from the name by `fromName`, free in the workspace (`freeHandle`).
 */
export async function freeKey(
  dataSource: DataSource,
  table: HandleTable,
  workspaceId: string,
  input: { key?: string; name: string },
  fromName: (name: string) => string,
  current?: string,
): Promise<string> {
  if (input.key !== undefined) return input.key;
  if (current !== undefined) return current;
  return freeHandle(dataSource, table, workspaceId, fromName(input.name));
}

/** Whether a write failed on the unique index of live keys of `table` (`<table>_key`): the key is taken. */
export function isKeyTaken(error: unknown, table: HandleTable): boolean {
  return (error as { driverError?: { constraint?: string } }).driverError?.constraint === `${table}_key`;
}
