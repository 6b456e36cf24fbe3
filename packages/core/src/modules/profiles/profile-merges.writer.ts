import { randomUUID } from 'node:crypto';
import type { QueryRunner } from 'typeorm';
import { lockProfileRows } from '../../engine/database/sql.js';
import type { MergeReason } from './merges.service.js';

/** One merge of stored profiles, as the merge log keeps it. */
export interface ProfileMergeWrite {
  winner: string;
  loser: string;
  /** The profile that holds the loser's rows afterwards (the winner, or what the winner merged into). */
  survivor: string;
  reason: MergeReason;
}

/** The tables whose rows belong to a profile, and the column that says which. */
const PROFILE_ROWS = [
  ['identities', 'profile_id'],
  ['source_records', 'profile_id'],
  ['events', 'profile_id'],
  ['consents', 'profile_id'],
  ['consent_changes', 'profile_id'],
  ['account_links', 'person_id'],
  ['account_links', 'account_id'],
] as const;

/**
 * Merges of stored profiles, in the caller's transaction: the loser points at its winner; its rows move
 * to the final survivor (their `origin_*` columns keep where they came from, for the undo); each merge is
 * logged with its reason. A statement per table, whatever the number of merges (none for none). The
 * ingest's merges and the merges an admin makes by hand both go through here.
 */
export async function writeProfileMerges(runner: QueryRunner, workspaceId: string, merges: ProfileMergeWrite[]): Promise<string[]> {
  if (merges.length === 0) return [];
  const moves = merges.map((m) => ({ loser: m.loser, winner: m.winner, target: m.survivor }));
  const movesJson = JSON.stringify(moves);
  // Recomputes of earlier batches may hold some of these rows: take them in the same order they do.
  await lockProfileRows(runner, moves.map((m) => m.loser));
  await runner.query(
    `UPDATE profiles p SET merged_into = m.winner, updated_at = now()
     FROM json_to_recordset($2::json) AS m(loser uuid, winner uuid) WHERE p.id = m.loser AND p.workspace_id = $1`,
    [workspaceId, movesJson],
  );
  for (const [table, column] of PROFILE_ROWS) {
    // By profile id only (ids are unique across workspaces and were resolved in this workspace):
    // a workspace_id condition here lets the planner scan a whole workspace's rows.
    await runner.query(
      `UPDATE ${table} t SET ${column} = m.target FROM json_to_recordset($1::json) AS m(loser uuid, target uuid)
       WHERE t.${column} = m.loser`,
      [movesJson],
    );
  }
  const logged = merges.map((m) => ({ id: randomUUID(), winner: m.winner, loser: m.loser, reason: m.reason }));
  await runner.query(
    `INSERT INTO merges (id, workspace_id, winner_id, loser_id, reason)
     SELECT x.id, $1, x.winner, x.loser, x.reason FROM json_to_recordset($2::json) AS x(id uuid, winner uuid, loser uuid, reason jsonb)`,
    [workspaceId, JSON.stringify(logged)],
  );
  return logged.map((m) => m.id);
}
