import { hostname } from 'node:os';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SyncMode } from '@portrait/connector-sdk';
import type { DataSource, QueryRunner } from 'typeorm';
import { eraseRawRecordsHolding } from '../../engine/database/erase-by-values.js';
import { inTransaction, rows } from '../../engine/database/sql.js';
import { keysetPage, type PageQuery } from '../profiles/keyset-page.js';
import { isUuid } from '../profiles/profiles.service.js';
import { runEnded, runView, type StreamStats, type SyncRunRow, type SyncRunStatus, type SyncRunView, type SyncRunWarning, type SyncTrigger } from './sync-run.js';
import { SyncException } from './sync.exception.js';

/** A running run whose heartbeat is older than this belongs to a process that died: the next start takes over. */
export const RUN_LEASE_MS = 60_000;
/** This process, as recorded on the runs it starts. */
const RUN_BY = `${hostname()}:${process.pid}`;

export interface DeadLetterView {
  id: string;
  runId: string | null;
  stream: string | null;
  reason: string;
  payload: unknown;
  location: string | null;
  createdAt: string;
}

/** A dead letter without its payload (the record as it came, which holds personal data). */
export type DeadLetterSummary = Omit<DeadLetterView, 'payload'>;

type DeadLetterRow = { id: string; run_id: string | null; stream: string | null; reason: string; payload?: unknown; location: string | null; created_at: Date };

const invalidCursor = () => new SyncException('INVALID_CURSOR', 'cursor is not one this API returned');

/** What asking to start a run of a source came to. */
export type StartAttempt =
  | { started: SyncRunRow }
  /** Another run of the source is running (in this or another process): nothing was started. */
  | { busy: { runningRunId: string | undefined } }
  /** The queued run to start was cancelled before it could start. */
  | { cancelled: SyncRunRow };

export interface StartRequest {
  workspaceId: string;
  sourceId: string;
  trigger: SyncTrigger;
  mode: SyncMode;
  /** A queued run (see `enqueue`) to start instead of a new one. */
  queuedRunId?: string;
}

/**
 * The `sync_runs` lifecycle, queued → running → succeeded | failed | cancelled: one running run per
 * source (an advisory lock on the source while deciding, and a partial unique index as the final
 * guard), heartbeats, cancellation from any process.
 */
@Injectable()
export class SyncRunsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records a run asked for ("sync now") for a worker to start. */
  async enqueue(workspaceId: string, sourceId: string, trigger: SyncTrigger, mode: SyncMode): Promise<SyncRunView> {
    const [row]: SyncRunRow[] = await this.dataSource.query(
      `INSERT INTO sync_runs (workspace_id, source_id, status, trigger, mode) VALUES ($1, $2, 'queued', $3, $4) RETURNING *`,
      [workspaceId, sourceId, trigger, mode],
    );
    return runView(row!);
  }

  /**
   * Starts a run of the source — the queued one named, or a new one — unless one is already running
   * in any process. A running run whose process died (no heartbeat for RUN_LEASE_MS) is closed as
   * failed first, so its source does not stay blocked.
   */
  async tryStart(request: StartRequest): Promise<StartAttempt> {
    const { workspaceId, sourceId, trigger, mode, queuedRunId } = request;
    try {
      return await inTransaction(this.dataSource, async (q) => {
        // started_at is stamped with clock_timestamp(): the moment the run starts, once the lock is held
        // and no other run is seen running (now() is when this transaction began, maybe before the last run finished).
        await q.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`portrait.sync:${sourceId}`]);
        await q.query(
          `UPDATE sync_runs SET status = 'failed', finished_at = now(), retryable = true, error = 'interrupted: the process running it stopped',
                  duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int
           WHERE source_id = $1 AND status = 'running' AND heartbeat_at < now() - make_interval(secs => $2)`,
          [sourceId, RUN_LEASE_MS / 1000],
        );
        await q.query(
          `UPDATE sync_runs SET status = 'cancelled', finished_at = now(), duration_ms = 0, error = 'never started: no worker took it within a day'
           WHERE source_id = $1 AND status = 'queued' AND created_at < now() - interval '1 day'`,
          [sourceId],
        );
        const [running] = await rows<{ id: string }>(q, `SELECT id FROM sync_runs WHERE source_id = $1 AND status = 'running'`, [sourceId]);
        if (running) return { busy: { runningRunId: running.id } };
        if (queuedRunId) {
          const [queued] = await rows<SyncRunRow>(q, `SELECT * FROM sync_runs WHERE id = $1 AND source_id = $2 FOR UPDATE`, [queuedRunId, sourceId]);
          if (queued?.status === 'cancelled') return { cancelled: queued };
          if (queued?.status === 'queued') {
            const [started] = queued.cancel_requested
              ? await rows<SyncRunRow>(
                  q,
                  `UPDATE sync_runs SET status = 'cancelled', error = 'cancelled', finished_at = now(), duration_ms = 0 WHERE id = $1 RETURNING *`,
                  [queued.id],
                )
              : await rows<SyncRunRow>(
                  q,
                  `UPDATE sync_runs SET status = 'running', started_at = clock_timestamp(), heartbeat_at = now(), run_by = $2 WHERE id = $1 RETURNING *`,
                  [queued.id, RUN_BY],
                );
            return queued.cancel_requested ? { cancelled: started! } : { started: started! };
          }
          // Finished by an earlier attempt (a retry after a failure) or gone: a new run is started.
        }
        const [inserted] = await rows<SyncRunRow>(
          q,
          `INSERT INTO sync_runs (workspace_id, source_id, status, trigger, mode, started_at, heartbeat_at, run_by)
           VALUES ($1, $2, 'running', $3, $4, clock_timestamp(), now(), $5)
           ON CONFLICT (source_id) WHERE status = 'running' DO NOTHING RETURNING *`,
          [workspaceId, sourceId, trigger, mode, RUN_BY],
        );
        return inserted ? { started: inserted } : { busy: { runningRunId: undefined } };
      });
    } catch (error) {
      // The unique index refused a second running run that slipped past the lock.
      if ((error as { code?: string }).code === '23505') return { busy: { runningRunId: (await this.running(sourceId))?.id } };
      throw error;
    }
  }

  /** Queued runs, oldest first, for a worker that polls the database (the embedded scheduler). */
  async queued(limit: number): Promise<{ id: string; sourceId: string }[]> {
    const found: { id: string; source_id: string }[] = await this.dataSource.query(
      `SELECT id, source_id FROM sync_runs WHERE status = 'queued' ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return found.map((r) => ({ id: r.id, sourceId: r.source_id }));
  }

  /** Closes a queued run that will not start (e.g. its source stayed busy through every retry). */
  async cancelQueued(runId: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE sync_runs SET status = 'cancelled', error = $2, finished_at = now(), duration_ms = 0 WHERE id = $1 AND status = 'queued'`,
      [runId, reason],
    );
  }

  /** The running run of a source, if any. */
  async running(sourceId: string): Promise<SyncRunView | undefined> {
    const [row]: SyncRunRow[] = await this.dataSource.query(`SELECT * FROM sync_runs WHERE source_id = $1 AND status = 'running'`, [sourceId]);
    return row ? runView(row) : undefined;
  }

  /** Refreshes the heartbeat; answers whether a cancel was requested. */
  async heartbeat(runId: string): Promise<boolean> {
    const [[row]]: [{ cancel_requested: boolean }[], number] = await this.dataSource.query(
      `UPDATE sync_runs SET heartbeat_at = now() WHERE id = $1 RETURNING cancel_requested`,
      [runId],
    );
    return row?.cancel_requested ?? false;
  }

  /** Records that the run reads this stream now, with the counts so far (the stream's at zero). */
  async startStream(runId: string, stream: string, stats: Record<string, StreamStats>): Promise<void> {
    await this.dataSource.query(`UPDATE sync_runs SET current_stream = $2, stats = $3, heartbeat_at = now() WHERE id = $1`, [runId, stream, JSON.stringify(stats)]);
  }

  async finish(
    runId: string,
    status: Exclude<SyncRunStatus, 'queued' | 'running'>,
    stats: Record<string, StreamStats>,
    error: string | null,
    options: { retryable?: boolean; warnings?: SyncRunWarning[] } = {},
  ): Promise<SyncRunView> {
    const [[row]]: [SyncRunRow[], number] = await this.dataSource.query(
      `UPDATE sync_runs SET status = $2, stats = $3, error = $4, retryable = $5, warnings = $6, finished_at = now(),
              duration_ms = (extract(epoch FROM now() - started_at) * 1000)::int
       WHERE id = $1 RETURNING *`,
      [runId, status, JSON.stringify(stats), error, options.retryable ?? false, JSON.stringify(options.warnings ?? [])],
    );
    return runView(row!);
  }

  /**
   * Cancels a run: a queued one at once; a running one is asked to stop, which the process running
   * it sees at its next batch or heartbeat.
   */
  async requestCancel(runId: string, workspaceId?: string): Promise<SyncRunView> {
    const run = await this.get(runId, workspaceId);
    if (runEnded(run.status)) throw new SyncException('SYNC_RUN_ENDED', `sync run ${run.id} has already ${run.status === 'cancelled' ? 'been cancelled' : run.status}`, { runId: run.id });
    await this.dataSource.query(
      `UPDATE sync_runs SET cancel_requested = true,
              status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
              error = CASE WHEN status = 'queued' THEN 'cancelled' ELSE error END,
              finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
              duration_ms = CASE WHEN status = 'queued' THEN 0 ELSE duration_ms END
       WHERE id = $1 AND status IN ('queued', 'running')`,
      [run.id],
    );
    return this.get(run.id);
  }

  async get(runId: string, workspaceId?: string): Promise<SyncRunView> {
    const [row]: SyncRunRow[] = isUuid(runId)
      ? await this.dataSource.query(`SELECT * FROM sync_runs WHERE id = $1 AND ($2::uuid IS NULL OR workspace_id = $2)`, [runId, workspaceId ?? null])
      : [];
    if (!row) throw new SyncException('SYNC_RUN_NOT_FOUND', `sync run ${runId} does not exist`, { runId });
    return runView(row);
  }

  async list(workspaceId: string, sourceId: string, limit = 50): Promise<SyncRunView[]> {
    const rows: SyncRunRow[] = await this.dataSource.query(
      `SELECT * FROM sync_runs WHERE workspace_id = $1 AND source_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
      [workspaceId, sourceId, Math.min(Math.max(limit, 1), 500)],
    );
    return rows.map(runView);
  }

  /** Runs of a source, newest first, keyset-paginated. */
  async page(workspaceId: string, sourceId: string, query: PageQuery = {}): Promise<{ data: SyncRunView[]; nextCursor: string | null }> {
    const { rows: found, nextCursor } = await keysetPage<SyncRunRow>(
      this.dataSource,
      { time: 'created_at', id: 'id', descending: true },
      query,
      [workspaceId, sourceId],
      ({ after, keys, orderAndLimit }) => `SELECT *, ${keys} FROM sync_runs WHERE workspace_id = $1 AND source_id = $2 ${after} ${orderAndLimit}`,
      invalidCursor,
    );
    return { data: found.map(runView), nextCursor };
  }

  /** The dead letters of a run in the order they were written, without their payloads, keyset-paginated. */
  async deadLettersOfRun(workspaceId: string, runId: string, query: PageQuery = {}): Promise<{ data: DeadLetterSummary[]; nextCursor: string | null }> {
    const run = await this.get(runId, workspaceId);
    const { rows: found, nextCursor } = await keysetPage<DeadLetterRow>(
      this.dataSource,
      { time: 'created_at', id: 'id' },
      query,
      [workspaceId, run.id],
      ({ after, keys, orderAndLimit }) =>
        `SELECT id, run_id, stream, reason, location, created_at, ${keys} FROM dead_letters WHERE workspace_id = $1 AND run_id = $2 ${after} ${orderAndLimit}`,
      invalidCursor,
    );
    return { data: found.map(deadLetterView), nextCursor };
  }

  /** One dead letter of a run, with its payload. */
  async deadLetterOfRun(workspaceId: string, runId: string, deadLetterId: string): Promise<DeadLetterView> {
    const run = await this.get(runId, workspaceId);
    const [row]: DeadLetterRow[] = isUuid(deadLetterId)
      ? await this.dataSource.query(
          `SELECT id, run_id, stream, reason, payload, location, created_at FROM dead_letters WHERE workspace_id = $1 AND run_id = $2 AND id = $3`,
          [workspaceId, run.id, deadLetterId],
        )
      : [];
    if (!row) throw new SyncException('DEAD_LETTER_NOT_FOUND', `dead letter ${deadLetterId} of run ${run.id} does not exist`, { runId: run.id });
    return { ...deadLetterView(row), payload: row.payload ?? null };
  }

  async deadLetters(workspaceId: string, sourceId: string, limit = 100): Promise<DeadLetterView[]> {
    const found: DeadLetterRow[] = await this.dataSource.query(
      `SELECT id, run_id, stream, reason, payload, location, created_at FROM dead_letters
       WHERE workspace_id = $1 AND source_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
      [workspaceId, sourceId, Math.min(Math.max(limit, 1), 1000)],
    );
    return found.map((r) => ({ ...deadLetterView(r), payload: r.payload ?? null }));
  }

  /** Deletes the dead letters that hold one of these identity values (an erasure, in the caller's transaction): a record refused by the sync never became a profile, so it is found by what it says. */
  async eraseDeadLettersIn(runner: QueryRunner, workspaceId: string, identityValues: string[]): Promise<Record<string, number>> {
    return { dead_letters: await eraseRawRecordsHolding(runner, { table: 'dead_letters', payload: 'payload' }, workspaceId, identityValues) };
  }
}

function deadLetterView(row: DeadLetterRow): DeadLetterSummary {
  return { id: row.id, runId: row.run_id, stream: row.stream, reason: row.reason, location: row.location, createdAt: new Date(row.created_at).toISOString() };
}
