import type { SyncMode } from '@portrait/connector-sdk';

export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type SyncTrigger = 'schedule' | 'manual' | 'webhook';

/** What one stream of a run did. */
export interface StreamStats {
  /** Records read: facts and invalid records. */
  read: number;
  created: number;
  updated: number;
  merged: number;
  /** Events stored (replays deduplicated away are not counted). */
  events: number;
  /** Facts the ingest refused. */
  rejected: number;
  /** Invalid records and refused facts written to dead_letters. */
  deadLettered: number;
}

export interface SyncRunView {
  id: string;
  workspaceId: string;
  sourceId: string;
  status: SyncRunStatus;
  trigger: SyncTrigger;
  mode: SyncMode;
  stats: Record<string, StreamStats>;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** The error of a failed run, without secrets. */
  error: string | null;
  /** A failed run whose cause may pass (rate limit, 5xx, network): the scheduler tries again. */
  retryable: boolean;
  /** The process that ran it (host:pid). */
  runBy: string | null;
}

export interface SyncRunRow {
  id: string;
  workspace_id: string;
  source_id: string;
  status: SyncRunStatus;
  trigger: SyncTrigger;
  mode: SyncMode;
  stats: Record<string, StreamStats>;
  cancel_requested: boolean;
  retryable: boolean;
  run_by: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  error: string | null;
}

export function emptyStreamStats(): StreamStats {
  return { read: 0, created: 0, updated: 0, merged: 0, events: 0, rejected: 0, deadLettered: 0 };
}

export function runView(row: SyncRunRow): SyncRunView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    sourceId: row.source_id,
    status: row.status,
    trigger: row.trigger,
    mode: row.mode,
    stats: row.stats,
    startedAt: row.started_at ? new Date(row.started_at).toISOString() : null,
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    durationMs: row.duration_ms,
    error: row.error,
    retryable: row.retryable,
    runBy: row.run_by,
  };
}
