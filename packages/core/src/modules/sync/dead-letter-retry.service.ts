import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { validateFact } from '@portrait/connector-sdk';
import type { DataSource } from 'typeorm';
import { rows } from '../../engine/database/sql.js';
import { IngestService } from '../ingest/ingest.service.js';
import { SyncRunsService } from './sync-runs.service.js';
import { SyncException } from './sync.exception.js';

/** Dead letters retried in one transaction. */
const RETRY_CHUNK = 500;
/** The most dead letters one retry names by id. */
export const MAX_RETRY_IDS = 1000;

/** What retrying a run's dead letters came to. */
export interface DeadLetterRetryOutcome {
  /** Dead letters whose payload is a fact, submitted to the ingest again. */
  retried: number;
  /** Of those, stored now: their dead letters are gone. */
  stored: number;
  /** Still refused, each kept with the ingest's reason of today. */
  refused: { id: string; reason: string }[];
  /**
   * Records that are not a fact (what the connector could not read, or a fact it built wrong): the
   * ingest cannot take them as they are; correct them at the channel and sync again. Kept as they were.
   */
  notRetryable: { id: string; reason: string }[];
}

/**
 * Retries a run's dead letters: those whose payload is a well-formed fact (refused for what it holds —
 * a blocked identity value, a limit, no usable identity — which a settings change may have lifted) go
 * through the ingest again, in chunks, each chunk in one transaction with its bookkeeping: the dead
 * letters of the facts it stores are deleted, the others keep the reason the ingest gives today. Two
 * retries of the same dead letters at once cannot both store them: the second finds them gone and
 * rolls back (`DEAD_LETTER_RETRY_CONFLICT`).
 */
@Injectable()
export class DeadLetterRetryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runs: SyncRunsService,
    private readonly ingest: IngestService,
  ) {}

  /** Retries the run's dead letters named by `ids`, or all of them without. Unknown ids are a 404, nothing retried. */
  async retryOfRun(workspaceId: string, runId: string, ids?: string[]): Promise<DeadLetterRetryOutcome> {
    const run = await this.runs.get(runId, workspaceId);
    const named = ids ? [...new Set(ids)] : undefined;
    if (named) {
      const found = await this.dataSource.query(`SELECT id FROM dead_letters WHERE workspace_id = $1 AND run_id = $2 AND id = ANY($3::uuid[])`, [workspaceId, run.id, named]);
      const known = new Set(found.map((r: { id: string }) => r.id));
      const missing = named.filter((id) => !known.has(id));
      if (missing.length) throw new SyncException('DEAD_LETTER_NOT_FOUND', `dead letters ${missing.join(', ')} of run ${run.id} do not exist`, { runId: run.id, missing });
    }
    const outcome: DeadLetterRetryOutcome = { retried: 0, stored: 0, refused: [], notRetryable: [] };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const chunk: { id: string; payload: unknown }[] = await this.dataSource.query(
        `SELECT id, payload FROM dead_letters WHERE workspace_id = $1 AND run_id = $2 AND id > $3 ${named ? 'AND id = ANY($5::uuid[])' : ''}
         ORDER BY id LIMIT $4`,
        named ? [workspaceId, run.id, after, RETRY_CHUNK, named] : [workspaceId, run.id, after, RETRY_CHUNK],
      );
      if (chunk.length === 0) return outcome;
      after = chunk[chunk.length - 1]!.id;
      const facts: { id: string; payload: unknown }[] = [];
      for (const letter of chunk) {
        const validation = validateFact(letter.payload);
        if (validation.ok) facts.push(letter);
        else outcome.notRetryable.push({ id: letter.id, reason: validation.reason });
      }
      if (facts.length) await this.retryChunk(workspaceId, facts, outcome);
    }
  }

  private async retryChunk(workspaceId: string, facts: { id: string; payload: unknown }[], outcome: DeadLetterRetryOutcome): Promise<void> {
    const { alongside } = await this.ingest.ingestWithin(
      workspaceId,
      facts.map((f) => f.payload),
      {
        alongside: async (runner, { result }) => {
          const refusedAt = new Map(result.rejections.map((r) => [r.index, r.reason]));
          const stored = facts.filter((_, i) => !refusedAt.has(i)).map((f) => f.id);
          const refused = facts.flatMap((f, i) => (refusedAt.has(i) ? [{ id: f.id, reason: refusedAt.get(i)! }] : []));
          const gone = await rows(runner, `DELETE FROM dead_letters WHERE workspace_id = $1 AND id = ANY($2::uuid[]) RETURNING id`, [workspaceId, stored]);
          const kept = refused.length
            ? await rows(
                runner,
                `UPDATE dead_letters d SET reason = r.reason FROM json_to_recordset($2::json) AS r(id uuid, reason text)
                 WHERE d.workspace_id = $1 AND d.id = r.id RETURNING d.id`,
                [workspaceId, JSON.stringify(refused)],
              )
            : [];
          if (gone.length !== stored.length || kept.length !== refused.length) {
            throw new SyncException('DEAD_LETTER_RETRY_CONFLICT', 'some of these dead letters were retried or deleted meanwhile: nothing of this retry was stored; list them again');
          }
          return { stored: stored.length, refused };
        },
      },
    );
    outcome.retried += facts.length;
    outcome.stored += alongside.stored;
    outcome.refused.push(...alongside.refused);
  }
}
