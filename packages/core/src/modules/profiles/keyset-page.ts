import type { DataSource } from 'typeorm';
import { decodeCursor, decodeTimeIdCursor, encodeCursor, isUuid, pageLimit } from './profiles.service.js';

/** What a client asks of a keyset-paginated list. */
export interface PageQuery {
  limit?: number;
  cursor?: string;
}

/**
 * How a list is ordered, and so what its cursor holds: a timestamptz column then a uuid column
 * (`created_at, id`), or the uuid column alone; oldest (or lowest) first unless `descending`.
 */
export interface Keyset {
  time?: string;
  id: string;
  descending?: boolean;
}

/** The pieces of a page's statement: `after` goes in its WHERE (empty on the first page), `keys` in its select list, `orderAndLimit` at its end. */
export interface KeysetClauses {
  after: string;
  keys: string;
  orderAndLimit: string;
}

type KeysetColumns = { keyset_time?: string; keyset_id: string };

/**
 * One page of a list paginated on its keyset: a page costs one index range scan however deep the cursor.
 * `statement` writes the query from the clauses (its own parameters are `params`, the keyset's come after
 * them); one row more than the page is read to know whether another page follows. The time goes in the
 * cursor as PostgreSQL's text, with its microseconds (a JS Date keeps only milliseconds). A cursor that
 * is not one of this list's throws `invalidCursor()` (one that is not a cursor at all, INVALID_CURSOR
 * from `decodeCursor`).
 */
export async function keysetPage<Row>(
  db: Pick<DataSource, 'query'>,
  keyset: Keyset,
  query: PageQuery,
  params: unknown[],
  statement: (clauses: KeysetClauses) => string,
  invalidCursor: () => Error,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const limit = pageLimit(query.limit);
  const values = [...params];
  const add = (value: unknown) => `$${values.push(value)}`;
  const columns = keyset.time ? [keyset.time, keyset.id] : [keyset.id];
  let after = '';
  if (query.cursor) {
    const position = keyset.time ? decodeTimeIdCursor(query.cursor) : idPosition(query.cursor);
    if (!position) throw invalidCursor();
    const placeholders = keyset.time ? [`${add(position[0])}::timestamptz`, `${add(position[1])}::uuid`] : [`${add(position[0])}::uuid`];
    after = `AND (${columns.join(', ')}) ${keyset.descending ? '<' : '>'} (${placeholders.join(', ')})`;
  }
  const keys = keyset.time ? `${keyset.time}::text AS keyset_time, ${keyset.id} AS keyset_id` : `${keyset.id} AS keyset_id`;
  const orderAndLimit = `ORDER BY ${columns.map((c) => (keyset.descending ? `${c} DESC` : c)).join(', ')} LIMIT ${add(limit + 1)}`;
  const found: (Row & KeysetColumns)[] = await db.query(statement({ after, keys, orderAndLimit }), values);
  const rows = found.slice(0, limit);
  const last = rows[rows.length - 1];
  const position = last && (keyset.time ? [last.keyset_time!, last.keyset_id] : [last.keyset_id]);
  return { rows, nextCursor: found.length > limit && position ? encodeCursor(position) : null };
}

/** The position of a cursor over a uuid alone; undefined when it holds anything else. */
function idPosition(cursor: string): [id: string] | undefined {
  const [id] = decodeCursor(cursor);
  return id && isUuid(id) ? [id] : undefined;
}
