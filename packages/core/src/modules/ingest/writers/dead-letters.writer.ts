import { toStorableJson } from '@portrait/connector-sdk';
import type { QueryRunner } from 'typeorm';

/** What could not be ingested: a record a connector could not read, or a fact the ingest refused. */
export interface DeadLetter {
  reason: string;
  /** The record or fact as it came, for an admin to look at. */
  payload: unknown;
  /** Where it was ("visits.csv line 5", "fact 3 of a rows batch", "webhook fact 2"). */
  location: string | null;
}

/** The source a batch came from: its sync run and stream, when a sync read it (a webhook has neither). */
export interface DeadLetterSource {
  sourceId: string;
  runId?: string;
  stream?: string;
}

/**
 * Dead letters of a batch, in its transaction: one statement (none for none). Payloads and reasons are
 * stored as {@link toStorableJson} makes them: a record refused for a NUL character, a lone surrogate
 * or its depth is kept (those characters replaced by U+FFFD, the deepest levels cut), never a failed batch.
 */
export async function writeDeadLetters(runner: QueryRunner, workspaceId: string, from: DeadLetterSource, deadLetters: DeadLetter[]): Promise<void> {
  if (deadLetters.length === 0) return;
  await runner.query(
    `INSERT INTO dead_letters (workspace_id, source_id, run_id, stream, reason, payload, location)
     SELECT $1, $2, $3, $4, d.reason, d.payload, d.location FROM json_to_recordset($5::json) AS d(reason text, payload jsonb, location text)`,
    [workspaceId, from.sourceId, from.runId ?? null, from.stream ?? null, JSON.stringify(toStorableJson(deadLetters))],
  );
}
