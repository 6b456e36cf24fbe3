import type { SyncRunView } from '@portrait/core';
import type { z } from 'zod';
import type { runSchema, runTotalsSchema } from './source.schemas.js';

/** The counts of a run over all its streams: what was read, what was stored, what was dead-lettered or suppressed. */
export function runTotals(stats: SyncRunView['stats']): z.output<typeof runTotalsSchema> {
  let read = 0;
  let deadLettered = 0;
  let suppressed = 0;
  for (const s of Object.values(stats)) {
    read += s.read;
    deadLettered += s.deadLettered;
    suppressed += s.suppressed;
  }
  return { read, stored: read - deadLettered - suppressed, deadLettered, suppressed };
}

/** A run as the management API answers it (without the process that ran it). */
export function runOut(run: SyncRunView): z.output<typeof runSchema> {
  return {
    id: run.id,
    sourceId: run.sourceId,
    status: run.status,
    trigger: run.trigger,
    mode: run.mode,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.durationMs,
    currentStream: run.currentStream,
    stats: run.stats,
    totals: runTotals(run.stats),
    warnings: run.warnings,
    error: run.error,
    retryable: run.retryable,
    cancelRequested: run.cancelRequested,
  };
}
