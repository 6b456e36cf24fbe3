import type { SyncMode } from '@portrait/connector-sdk';
import type { ScheduledSource } from '../source-repository.js';
import type { SyncRunView } from '../sync-run.js';

/** The payload of one sync job, whatever the driver carries it with. */
export interface SyncJobData {
  sourceId: string;
  trigger: 'schedule' | 'manual';
  mode?: SyncMode;
  /** The queued run a manual job starts. */
  runId?: string;
}

export interface RunNowOptions {
  /** Refuses a source of another workspace. */
  workspaceId?: string;
  mode?: SyncMode;
}

/**
 * When syncs run. Two drivers, chosen by configuration: in-process cron timers (embedded, no
 * REDIS_URL) and BullMQ job schedulers (REDIS_URL), where any number of workers share the jobs.
 * Every process may schedule, unschedule and ask for a run; only a process that called `start()`
 * (the worker) runs them. Whatever the driver, the `sync_runs` unique index keeps one run per source.
 */
export abstract class SyncScheduler {
  /** Begins running scheduled and queued syncs in this process (the worker). */
  abstract start(): Promise<void>;
  /** Stops timers or job processing; running syncs finish their current batch and are cancelled. */
  abstract stop(): Promise<void>;
  /** Creates or updates the schedule of a source (removes it when the source is disabled). */
  abstract schedule(source: ScheduledSource): Promise<void>;
  abstract unschedule(sourceId: string): Promise<void>;
  /**
   * Asks for a sync of the source now, outside its schedule: records a queued run, which a worker
   * starts as soon as no other run of the source is running, and returns it.
   */
  abstract runNow(sourceId: string, options?: RunNowOptions): Promise<SyncRunView>;
}
