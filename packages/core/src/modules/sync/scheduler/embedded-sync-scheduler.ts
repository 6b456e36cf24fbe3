import { Injectable, Logger } from '@nestjs/common';
import { Cron } from 'croner';
import { SourceRepository, type ScheduledSource } from '../source-repository.js';
import type { SyncRunView } from '../sync-run.js';
import { SyncRunsService } from '../sync-runs.service.js';
import { SyncService } from '../sync.service.js';
import { SyncScheduler, type RunNowOptions } from './sync-scheduler.js';

/** How often a started embedded scheduler re-reads the enabled sources (changes made by another process). */
const RECONCILE_MS = 30_000;
/** How often a started embedded scheduler looks for queued runs ("sync now" from another process). */
const QUEUE_POLL_MS = 2_000;

/**
 * The embedded driver (no REDIS_URL): one in-process cron timer per enabled source, in the process
 * that called `start()` (the worker). Other processes (the admin, the API) only write: sources they
 * change are picked up when the worker re-reads them, and runs they ask for are queued rows of
 * `sync_runs` that the worker polls for.
 */
@Injectable()
export class EmbeddedSyncScheduler extends SyncScheduler {
  private readonly logger = new Logger(EmbeddedSyncScheduler.name);
  private readonly timers = new Map<string, { schedule: string; cron: Cron }>();
  /** Queued runs this process is starting or running. */
  private readonly taken = new Set<string>();
  private reconciler?: NodeJS.Timeout;
  private poller?: NodeJS.Timeout;
  private started = false;

  constructor(
    private readonly sources: SourceRepository,
    private readonly runs: SyncRunsService,
    private readonly sync: SyncService,
  ) {
    super();
  }

  async start(): Promise<void> {
    this.started = true;
    await this.reconcile();
    this.reconciler = setInterval(() => void this.reconcile().catch((error) => this.logger.warn({ err: error }, 'could not re-read sources')), RECONCILE_MS);
    this.reconciler.unref();
    this.poller = setInterval(() => void this.startQueued(), QUEUE_POLL_MS);
    this.poller.unref();
    void this.startQueued();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.reconciler);
    clearInterval(this.poller);
    for (const { cron } of this.timers.values()) cron.stop();
    this.timers.clear();
  }

  async schedule(source: ScheduledSource): Promise<void> {
    if (!this.started) return;
    if (!source.enabled) return this.unschedule(source.id);
    const existing = this.timers.get(source.id);
    if (existing?.schedule === source.schedule) return;
    existing?.cron.stop();
    const cron = new Cron(source.schedule, { protect: true, unref: true }, async () => {
      try {
        const outcome = await this.sync.sync(source.id, { trigger: 'schedule' });
        if (!outcome.started) this.logger.debug(`source ${source.id}: a sync is already running`);
      } catch (error) {
        this.logger.warn({ err: error, sourceId: source.id }, 'a scheduled sync could not start');
      }
    });
    this.timers.set(source.id, { schedule: source.schedule, cron });
  }

  async unschedule(sourceId: string): Promise<void> {
    this.timers.get(sourceId)?.cron.stop();
    this.timers.delete(sourceId);
  }

  async runNow(sourceId: string, options: RunNowOptions = {}): Promise<SyncRunView> {
    const run = await this.sync.enqueue(sourceId, options);
    if (this.started) void this.startQueued();
    return run;
  }

  /** Starts the queued runs whose source is free; the others stay queued for the next poll. */
  private async startQueued(): Promise<void> {
    if (!this.started) return;
    let queued: { id: string; sourceId: string }[];
    try {
      queued = await this.runs.queued(20);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read queued syncs');
      return;
    }
    for (const run of queued) {
      if (this.taken.has(run.id)) continue;
      this.taken.add(run.id);
      void this.sync
        .sync(run.sourceId, { runId: run.id, trigger: 'manual' })
        .catch(async (error: Error) => {
          this.logger.warn({ err: error, runId: run.id, sourceId: run.sourceId }, 'a queued sync could not start');
          await this.runs.cancelQueued(run.id, `could not start: ${error.message}`);
        })
        .catch(() => undefined)
        .finally(() => this.taken.delete(run.id));
    }
  }

  private async reconcile(): Promise<void> {
    const enabled = await this.sources.listEnabled();
    const ids = new Set(enabled.map((s) => s.id));
    for (const id of [...this.timers.keys()]) if (!ids.has(id)) await this.unschedule(id);
    for (const source of enabled) await this.schedule(source);
  }
}
