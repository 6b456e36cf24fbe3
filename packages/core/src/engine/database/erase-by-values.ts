import type { QueryRunner } from 'typeorm';
import { rows } from './sql.js';

/** A table keeping records as they came (dead letters, pending messages), and its jsonb column holding them. */
export interface RawRecordColumn {
  table: string;
  payload: string;
  /** A text column that may quote the record's values too (a refusal's reason). */
  reason?: string;
}

/**
 * Deletes, in the caller's transaction (an erasure), the workspace's rows whose record holds one of
 * these identity values: any string in it equal, trimmed and case-insensitively, to a value (or a
 * reason quoting one). A value written differently (a phone with spaces) is not found; one shorter than
 * six characters is not searched for (it could be any other field's). Answers how many went.
 * Table and column names come from the owning module, never from input.
 */
export async function eraseRawRecordsHolding(runner: QueryRunner, column: RawRecordColumn, workspaceId: string, identityValues: string[]): Promise<number> {
  const values = [...new Set(identityValues.map((v) => v.trim().toLowerCase()).filter((v) => v.length >= 6))];
  if (values.length === 0) return 0;
  const { table, payload, reason } = column;
  const quoted = reason ? `OR EXISTS (SELECT 1 FROM unnest($2::text[]) v WHERE strpos(lower(d.${reason}), v) > 0)` : '';
  const gone = await rows(
    runner,
    `DELETE FROM ${table} d WHERE d.workspace_id = $1 AND (
       (d.${payload} IS NOT NULL AND EXISTS (SELECT 1 FROM jsonb_path_query(d.${payload}, 'strict $.**') v
                                             WHERE jsonb_typeof(v) = 'string' AND lower(btrim(v #>> '{}')) = ANY($2::text[])))
       ${quoted})
     RETURNING 1`,
    [workspaceId, values],
  );
  return gone.length;
}
