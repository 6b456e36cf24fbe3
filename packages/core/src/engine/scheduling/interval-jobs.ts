import type { Logger } from '@nestjs/common';

/** A job run again every `everyMs`; `what` names it in the log when a run fails. */
export interface IntervalJob {
  everyMs: number;
  what: string;
  run: () => Promise<unknown>;
}

/**
 * In-process recurring jobs (the worker's scheduled recomputes): started once, each run's failure
 * logged without stopping the next, the timers never keeping the process alive.
 */
export class IntervalJobs {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly logger: Logger) {}

  /** Starts the jobs; does nothing while they already run. */
  start(jobs: IntervalJob[]): void {
    if (this.timers.length) return;
    for (const { everyMs, what, run } of jobs) {
      const timer = setInterval(() => void run().catch((error: unknown) => this.logger.error({ err: error }, `scheduled ${what} failed`)), everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }
}
