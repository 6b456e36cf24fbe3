import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { PORTRAIT_CONFIG, type PortraitConfig } from '../../../engine/config/portrait-config.js';
import { SourceRepository, type ScheduledSource } from '../source-repository.js';
import type { SyncRunView } from '../sync-run.js';
import { SyncRunsService } from '../sync-runs.service.js';
import { SyncService } from '../sync.service.js';
import { SyncScheduler, type RunNowOptions, type SyncJobData } from './sync-scheduler.js';

export const SYNC_QUEUE = 'portrait-sync';
/** Syncs one worker process runs at the same time (of different sources). */
const WORKER_CONCURRENCY = 4;
/** How often a worker re-reads the enabled sources, to schedule what another process could not (Redis was down). */
const RECONCILE_MS = 5 * 60_000;
const RECONCILE_RETRY_MS = 10_000;
/**
 * A manual run is tried again while its source is busy or when it failed for a reason that may pass
 * (rate limit, 5xx): 8 attempts, 5 s, 10 s, 20 s … apart (about 10 minutes in all). A scheduled
 * run is not: the next tick of its schedule is its retry.
 */
const MANUAL_JOB: JobsOptions = { attempts: 8, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: 100, removeOnFail: 500 };
const SCHEDULED_JOB: JobsOptions = { removeOnComplete: 100, removeOnFail: 500 };

/** Thrown by a job to have BullMQ try it again later (with the job's backoff). */
class RetryLater extends Error {}

/**
 * The distributed driver (REDIS_URL): a BullMQ job scheduler (repeatable job) per enabled source;
 * every process enqueues, only processes that called `start()` (workers) take jobs, any number of
 * them. The `sync_runs` advisory lock and unique index stay the final guard: a job whose source is
 * already running elsewhere does nothing (a scheduled one) or waits its turn (a manual one). Queues
 * are namespaced by database, so installations sharing a Redis do not take each other's jobs.
 */
@Injectable()
export class BullmqSyncScheduler extends SyncScheduler implements OnModuleDestroy {
  private readonly logger = new Logger(BullmqSyncScheduler.name);
  private queue?: Queue<SyncJobData>;
  private worker?: Worker<SyncJobData>;
  private reconciler?: NodeJS.Timeout;
  private started = false;
  private readonly connections: Redis[] = [];

  constructor(
    @Inject(PORTRAIT_CONFIG) private readonly config: PortraitConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sources: SourceRepository,
    private readonly runs: SyncRunsService,
    private readonly sync: SyncService,
  ) {
    super();
  }

  async start(): Promise<void> {
    // The worker first: it waits for Redis by itself when Redis is not up yet.
    if (!this.worker) {
      this.worker = new Worker<SyncJobData>(SYNC_QUEUE, (job) => this.process(job), {
        connection: this.connection(true),
        prefix: syncQueuePrefix(this.databaseUrl()),
        concurrency: WORKER_CONCURRENCY,
      });
      this.worker.on('failed', (job, error) => {
        if (!(error instanceof RetryLater)) this.logger.warn({ err: error, jobId: job?.id }, 'sync job failed');
      });
      this.worker.on('error', (error) => this.logger.warn({ err: error }, 'sync worker error'));
    }
    this.started = true;
    await this.reconcileNow();
  }

  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.reconciler);
    this.reconciler = undefined;
    await this.worker?.close();
    this.worker = undefined;
  }

  async schedule(source: ScheduledSource): Promise<void> {
    if (!source.enabled) return this.unschedule(source.id);
    await this.getQueue().upsertJobScheduler(
      schedulerId(source.id),
      { pattern: source.schedule },
      { name: 'sync', data: { sourceId: source.id, trigger: 'schedule' }, opts: SCHEDULED_JOB },
    );
  }

  async unschedule(sourceId: string): Promise<void> {
    await this.getQueue().removeJobScheduler(schedulerId(sourceId));
  }

  async runNow(sourceId: string, options: RunNowOptions = {}): Promise<SyncRunView> {
    const run = await this.sync.enqueue(sourceId, options);
    try {
      await this.getQueue().add('sync', { sourceId: run.sourceId, trigger: 'manual', mode: run.mode, runId: run.id }, { ...MANUAL_JOB, jobId: `run-${run.id}` });
    } catch (error) {
      await this.runs.cancelQueued(run.id, `could not be queued: ${(error as Error).message}`);
      throw error;
    }
    return run;
  }

  /**
   * Removes this installation's sync queue from Redis: jobs, schedules and history. For tests that
   * throw their database away, and for an installation being removed.
   */
  async removeQueue(): Promise<void> {
    await this.stop();
    await this.getQueue().obliterate({ force: true });
  }

  async onModuleDestroy(): Promise<void> {
    // Without Redis, closing politely would wait for it forever: drop the connections instead.
    if (this.connections.some((c) => c.status !== 'ready')) {
      this.started = false;
      clearTimeout(this.reconciler);
      for (const c of this.connections) c.disconnect();
      // The worker's own blocking connection (a copy of ours) would keep reconnecting: force it shut, without waiting on Redis.
      const closing = Promise.allSettled([this.worker?.close(true), this.queue?.close()]);
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      return;
    }
    await this.stop();
    await this.queue?.close();
    // Nothing is pending once the worker and the queue are closed; a QUIT would keep the process up a while longer.
    for (const c of this.connections) c.disconnect();
  }

  /** Reconciles now, then again every RECONCILE_MS — or in RECONCILE_RETRY_MS when Redis or the database did not answer. */
  private async reconcileNow(): Promise<void> {
    clearTimeout(this.reconciler);
    let next = RECONCILE_MS;
    try {
      await this.reconcile();
    } catch (error) {
      next = RECONCILE_RETRY_MS;
      this.logger.warn({ err: error }, `the sync schedules could not be reconciled (trying again in ${next / 1000} s)`);
    }
    if (!this.started) return;
    this.reconciler = setTimeout(() => void this.reconcileNow(), next);
    this.reconciler.unref();
  }

  /**
   * Schedules every enabled source and removes the schedulers of sources deleted or disabled while
   * no worker ran. The enabled sources are read again after listing the schedulers, so a source
   * created meanwhile by another process keeps its own.
   */
  private async reconcile(): Promise<void> {
    const queue = this.getQueue();
    const known = new Map((await queue.getJobSchedulers()).map((s) => [s.key, s.pattern]));
    for (const source of await this.sources.listEnabled()) {
      if (known.get(schedulerId(source.id)) !== source.schedule) await this.schedule(source);
    }
    const ids = new Set((await this.sources.listEnabled()).map((s) => schedulerId(s.id)));
    for (const key of known.keys()) if (key && !ids.has(key)) await queue.removeJobScheduler(key);
  }

  private async process(job: Job<SyncJobData>): Promise<string> {
    const { sourceId, trigger, mode, runId } = job.data;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    try {
      const outcome = await this.sync.sync(sourceId, { trigger, mode, runId });
      if (!outcome.started) {
        if (outcome.reason === 'cancelled' || !runId) return outcome.reason;
        // A manual run waits for the running one to end.
        if (!lastAttempt) throw new RetryLater(`source ${sourceId} is busy with run ${outcome.runningRunId ?? '(unknown)'}`);
        await this.runs.cancelQueued(runId, 'not started: another run of this source kept running');
        return 'already_running';
      }
      if (outcome.run.status === 'failed' && outcome.run.retryable && trigger === 'manual' && !lastAttempt) {
        throw new RetryLater(`run ${outcome.run.id} failed and will be tried again: ${outcome.run.error}`);
      }
      return outcome.run.status;
    } catch (error) {
      if ((error as { code?: string }).code === 'SOURCE_NOT_FOUND') {
        await this.unschedule(sourceId);
        return 'source_deleted';
      }
      throw error;
    }
  }

  private getQueue(): Queue<SyncJobData> {
    if (!this.queue) {
      this.queue = new Queue<SyncJobData>(SYNC_QUEUE, { connection: this.connection(false), prefix: syncQueuePrefix(this.databaseUrl()) });
      this.queue.on('error', (error) => this.logger.warn({ err: error }, 'sync queue error'));
    }
    return this.queue;
  }

  /**
   * A worker's blocking connection waits for Redis forever (BullMQ requires it); a producer's gives
   * up after a few tries, so saving a source does not hang while Redis is away.
   */
  private connection(blocking: boolean): Redis {
    const connection = new Redis(this.config.redisUrl!, { maxRetriesPerRequest: blocking ? null : 3 });
    connection.on('error', () => undefined);
    this.connections.push(connection);
    return connection;
  }

  private databaseUrl(): string {
    return (this.dataSource.options as { url?: string }).url ?? 'postgres://local/portrait';
  }
}

/**
 * The Redis key prefix of an installation's sync queue: `portrait:` and a hash of its database's
 * host, port and name (never its credentials), so installations sharing a Redis stay apart.
 */
export function syncQueuePrefix(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `portrait:${createHash('sha256').update(`${url.hostname}:${url.port}${url.pathname}`).digest('hex').slice(0, 12)}`;
}

function schedulerId(sourceId: string): string {
  return `source:${sourceId}`;
}
