import type { SyncOutcome } from '../modules/sync/sync.service.js';
import type { SyncRunView } from '../modules/sync/sync-run.js';

/** The run of a sync a test expects to have started (whatever its outcome); throws when it did not start. */
export function startedRun(outcome: SyncOutcome): SyncRunView {
  if (!outcome.started) throw new Error('the sync did not start');
  return outcome.run;
}
