import type { QueryRunner } from 'typeorm';
import { rows } from '../../../engine/database/sql.js';

/** How many rows a write wrote to one profile. */
export interface WrittenRows {
  profile_id: string;
  written: number;
}

/**
 * Runs a write answering `profile_id` for each row it wrote (`RETURNING profile_id`); answers each
 * profile written to once, with how many rows — not a row per written row.
 */
export function writtenPerProfile(runner: QueryRunner, write: string, params: unknown[]): Promise<WrittenRows[]> {
  return rows(runner, `WITH written AS (${write}) SELECT profile_id, count(*)::int AS written FROM written GROUP BY profile_id`, params);
}
