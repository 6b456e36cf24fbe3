import type { SyncMode } from '@portrait/connector-sdk';

export type SyncRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Whether a run has ended (succeeded, failed or cancelled): nothing about it changes any more. */
export function runEnded(status: SyncRunStatus): boolean {
  return status !== 'queued' && status !== 'running';
}
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
  /** Facts dropped because they carry an identifier of an erased person: neither stored nor dead-lettered. */
  suppressed: number;
}

/** A warning a run's connector reported, once per distinct message. */
export interface SyncRunWarning {
  message: string;
  /** How many times it was reported during the run. */
  count: number;
}

export interface SyncRunView {
  id: string;
  workspaceId: string;
  sourceId: string;
  status: SyncRunStatus;
  trigger: SyncTrigger;
  mode: SyncMode;
  stats: Record<string, StreamStats>;
  /** The stream being read now (the last one read, once the run ended); null before the first. */
  currentStream: string | null;
  /** What the connector warned about during the run (messages only). */
  warnings: SyncRunWarning[];
  /** A cancel was asked for: a running run stops at its next batch. */
  cancelRequested: boolean;
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
  current_stream: string | null;
  warnings: SyncRunWarning[];
  cancel_requested: boolean;
  retryable: boolean;
  run_by: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  duration_ms: number | null;
  error: string | null;
}

/** At most this many distinct warnings are kept per run (a connector that warns about every record would fill the row). */
export const MAX_RUN_WARNINGS = 20;

/** Adds a warning to a run's list: a repeated message counts up, a new one is appended while there is room. */
export function addWarning(warnings: SyncRunWarning[], message: string): void {
  const text = message.trim().slice(0, 500);
  if (!text) return;
  const known = warnings.find((w) => w.message === text);
  if (known) known.count += 1;
  else if (warnings.length < MAX_RUN_WARNINGS) warnings.push({ message: text, count: 1 });
}

export function emptyStreamStats(): StreamStats {
  return { read: 0, created: 0, updated: 0, merged: 0, events: 0, rejected: 0, deadLettered: 0, suppressed: 0 };
}

export function runView(row: SyncRunRow): SyncRunView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    sourceId: row.source_id,
    status: row.status,
    trigger: row.trigger,
    mode: row.mode,
    // Runs recorded before a count existed read it as 0.
    stats: Object.fromEntries(Object.entries(row.stats).map(([stream, stats]) => [stream, { ...emptyStreamStats(), ...stats }])),
    currentStream: row.current_stream ?? null,
    warnings: row.warnings ?? [],
    cancelRequested: row.cancel_requested,
    startedAt: row.started_at ? new Date(row.started_at).toISOString() : null,
    finishedAt: row.finished_at ? new Date(row.finished_at).toISOString() : null,
    durationMs: row.duration_ms,
    error: row.error,
    retryable: row.retryable,
    runBy: row.run_by,
  };
}
