import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, QueryFailedError } from 'typeorm';
import { IngestService } from '../ingest/ingest.service.js';
import { IntakeLogService } from './intake-log.service.js';
import { WakeableLoop } from '../../engine/scheduling/wakeable-loop.js';

/** Messages ingested per batch (one ingest transaction). */
export const INTAKE_CHUNK = 5000;
/** How often an idle processor looks for messages appended by another process. */
const POLL_MS = 200;
/** How long a processor waits after a failed batch before trying again. */
const RETRY_MS = 2000;

/** What one pass over the log did. */
interface IntakeDrainStats {
  batches: number;
  messages: number;
}

/**
 * Drains the intake log into profiles: per workspace, in log order, batches of up to `INTAKE_CHUNK`
 * messages through `IngestService.ingestWithin`, whose transaction also deletes the drained rows (a
 * crash keeps the batch and its deletion, or neither), dead-letters the messages the ingest refused and
 * counts the batch in `intake_progress`. A workspace is drained by one processor at a time (a session
 * advisory lock per workspace, released by PostgreSQL if the process dies), so several processes
 * share the log without doubling and each workspace's order holds. Runs in the worker, and in the API
 * process when no queue (REDIS_URL) is configured, like the embedded sync scheduler.
 */
@Injectable()
export class IntakeProcessor implements OnModuleDestroy {
  private readonly logger = new Logger(IntakeProcessor.name);
  private readonly loop: WakeableLoop;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingest: IngestService,
    private readonly log: IntakeLogService,
  ) {
    this.loop = new WakeableLoop({
      pollMs: POLL_MS,
      signals: this.log.signals,
      event: 'appended',
      pass: async () => {
        await this.drain();
      },
      failed: async (error) => {
        this.logger.error({ err: error }, 'draining the intake log failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        return true;
      },
    });
  }

  /** Starts draining: at once, on every append of this process, and every 200 ms. */
  start(): void {
    this.loop.start();
  }

  /** Stops after the batch in flight. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** One pass: every workspace with pending messages that no other processor holds, drained to empty. */
  private async drain(): Promise<IntakeDrainStats> {
    const stats: IntakeDrainStats = { batches: 0, messages: 0 };
    const workspaces: { workspace_id: string }[] = await this.dataSource.query(
      `WITH RECURSIVE w AS (
         (SELECT workspace_id FROM intake_log ORDER BY workspace_id LIMIT 1)
         UNION ALL
         SELECT (SELECT l.workspace_id FROM intake_log l WHERE l.workspace_id > w.workspace_id ORDER BY l.workspace_id LIMIT 1) FROM w WHERE w.workspace_id IS NOT NULL)
       SELECT workspace_id FROM w WHERE workspace_id IS NOT NULL`,
    );
    if (workspaces.length === 0) return stats;
    // The connection that holds this pass's workspace locks (session locks: PostgreSQL frees them if the process dies).
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      for (const { workspace_id: workspaceId } of workspaces) {
        if (!this.loop.running && stats.batches > 0) break;
        const [{ locked }] = await runner.query(`SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked`, [lockKey(workspaceId)]);
        if (!locked) continue;
        try {
          await this.drainWorkspace(workspaceId, stats);
        } finally {
          await runner.query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [lockKey(workspaceId)]);
        }
      }
    } finally {
      await runner.release();
    }
    return stats;
  }

  /**
   * Drains one workspace (its lock held) to empty. A batch the database refuses for its data (a
   * message that passed validation but breaks a constraint) is halved until the one message at fault
   * is found, which becomes an intake dead letter: one bad message does not hold up the others.
   */
  private async drainWorkspace(workspaceId: string, stats: IntakeDrainStats): Promise<void> {
    let limit = INTAKE_CHUNK;
    for (;;) {
      let drained: number;
      try {
        drained = await this.drainChunk(workspaceId, limit);
      } catch (error) {
        if (!isDataError(error)) throw error;
        if (limit > 1) {
          limit = Math.ceil(limit / 2);
          continue;
        }
        await this.deadLetterOldest(workspaceId, error as Error);
        limit = INTAKE_CHUNK;
        continue;
      }
      if (drained === 0) return;
      stats.batches++;
      stats.messages += drained;
      // Stopping: the rest waits for the next processor (or this one, started again).
      if (!this.loop.running) return;
      if (limit < INTAKE_CHUNK) limit = Math.min(INTAKE_CHUNK, limit * 2);
      else if (drained < INTAKE_CHUNK) return;
    }
  }

  /** Moves the workspace's oldest message to the intake dead letters (one transaction). */
  private async deadLetterOldest(workspaceId: string, error: Error): Promise<void> {
    await this.dataSource.query(
      `WITH d AS (
         DELETE FROM intake_log WHERE (workspace_id, id) = (SELECT workspace_id, id FROM intake_log WHERE workspace_id = $1 ORDER BY id LIMIT 1)
         RETURNING workspace_id, fact, received_at)
       INSERT INTO intake_dead_letters (workspace_id, reason, payload, received_at) SELECT workspace_id, $2, fact, received_at FROM d`,
      [workspaceId, `the ingest could not store this message: ${error.message}`],
    );
    // The error by its type, SQL state and constraint: its message may quote the message's values.
    this.logger.warn({ workspaceId, err: error }, 'an intake message the database refused was dead-lettered');
  }

  /** Ingests the workspace's oldest messages, up to `limit`, deleting them in the same transaction. */
  private async drainChunk(workspaceId: string, limit: number): Promise<number> {
    const rows: { id: string; fact: unknown; received_at: Date }[] = await this.dataSource.query(
      `SELECT id::text AS id, fact, received_at FROM intake_log WHERE workspace_id = $1 ORDER BY id LIMIT $2`,
      [workspaceId, limit],
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    const { alongside: committed } = await this.ingest.ingestWithin(
      workspaceId,
      rows.map((r) => r.fact),
      {
        alongside: async (runner, batch) => {
          const [{ deleted }] = await runner.query(
            `WITH d AS (DELETE FROM intake_log WHERE workspace_id = $1 AND id = ANY($2::bigint[]) RETURNING 1) SELECT count(*)::int AS deleted FROM d`,
            [workspaceId, ids],
          );
          // Another process took these messages meanwhile: roll this batch back rather than store it twice.
          if (deleted !== ids.length) throw new Error(`intake batch of ${ids.length} messages found ${deleted} still in the log`);
          const refused = batch.result.rejections.map((r) => ({ reason: r.reason, payload: rows[r.index]!.fact, receivedAt: rows[r.index]!.received_at }));
          if (refused.length) {
            await runner.query(
              `INSERT INTO intake_dead_letters (workspace_id, reason, payload, received_at)
               SELECT $1, d.reason, d.payload, d."receivedAt" FROM jsonb_to_recordset($2::jsonb) AS d(reason text, payload jsonb, "receivedAt" timestamptz)`,
              [workspaceId, JSON.stringify(refused)],
            );
          }
          const [{ committed }] = await runner.query(
            `INSERT INTO intake_progress (workspace_id, committed) VALUES ($1, 1)
             ON CONFLICT (workspace_id) DO UPDATE SET committed = intake_progress.committed + 1, updated_at = now()
             RETURNING committed::text AS committed`,
            [workspaceId],
          );
          return committed as string;
        },
      },
    );
    // ingestWithin returned: the traits are recomputed; callers waiting on this batch may read the profile.
    await this.dataSource.query(`UPDATE intake_progress SET completed = GREATEST(completed, $2::bigint) WHERE workspace_id = $1`, [workspaceId, committed]);
    return rows.length;
  }
}

function lockKey(workspaceId: string): string {
  return `portrait.intake:${workspaceId}`;
}

/** A statement refused for the data it was given (SQLSTATE class 22: data exception, 23: integrity constraint violation). */
function isDataError(error: unknown): boolean {
  const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}
