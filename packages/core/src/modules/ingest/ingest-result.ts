import type { ProfileChange } from '../profiles/profile-changes.service.js';

export interface IngestRejection {
  /** Position of the fact in the batch. */
  index: number;
  source?: string;
  externalId?: string;
  reason: string;
}

export interface IngestResult {
  received: number;
  /** New profiles (people and accounts). */
  created: number;
  /** Existing profiles whose identities, traits, events or consent changed. */
  updated: number;
  /** Existing profiles merged into another in this batch. */
  merged: number;
  eventsInserted: number;
  eventsDeduplicated: number;
  rejected: number;
  rejections: IngestRejection[];
  /** Facts dropped because they carry an identifier of an erased person (suppressed): neither stored nor dead-lettered. */
  suppressed: number;
  /** Identifiers not attached or not merged because of a limit or a kind mismatch. */
  conflicts: number;
  /** Identifiers dropped while normalizing (blocked or malformed) from facts that were kept. */
  warnings: string[];
  /** The committed change (published by `complete()`). */
  change: ProfileChange;
  /** The queued recompute of the changed profiles' traits, which `complete()` runs (an internal id). */
  pendingRecompute?: string;
}

/** The result of a batch before anything is written: what was received, and what was refused. */
export function ingestResult(workspaceId: string, received: number, rejections: IngestRejection[] = [], warnings: string[] = []): IngestResult {
  return {
    received,
    created: 0,
    updated: 0,
    merged: 0,
    eventsInserted: 0,
    eventsDeduplicated: 0,
    rejected: rejections.length,
    rejections,
    suppressed: 0,
    conflicts: 0,
    warnings,
    change: { workspaceId, profileIds: [], mergedAway: [] },
  };
}
