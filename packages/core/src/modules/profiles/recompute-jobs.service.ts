import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { inTransaction, rows } from '../../engine/database/sql.js';
import { IntervalJobs } from '../../engine/scheduling/interval-jobs.js';
import { dependsOnClock } from '../traits/computed-trait.definition.js';
import { ProfileChangesService } from './profile-changes.service.js';
import { ProfileRecomputeService } from './profile-recompute.service.js';
import { ProfileSettingsService } from './profile-settings.service.js';
import { ProfileException } from './profile.exception.js';
import { isUuid } from './profiles.service.js';
import { queueRecomputeJob, type RecomputeJobKind, type RecomputeJobStatus } from './recompute-job-queue.js';
import { claimJob } from '../../engine/database/claim-job.js';

export interface RecomputeJobView {
  id: string;
  kind: RecomputeJobKind;
  status: RecomputeJobStatus;
  /** Profiles to recompute, counted when the job started (null while queued). */
  total: number | null;
  processed: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface JobRow {
  id: string;
  workspace_id: string;
  kind: RecomputeJobKind;
  status: RecomputeJobStatus;
  total: number | null;
  processed: number;
  after_profile_id: string | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const COLUMNS = `id, workspace_id, kind, status, total, processed, after_profile_id, error, created_at, started_at, finished_at`;
/** Profiles recomputed per transaction. */
export const RECOMPUTE_JOB_CHUNK = 500;
/** A running job whose worker wrote no progress for this long is taken over by another. */
const STALLED_AFTER_SECONDS = 120;
/** How often the worker looks for jobs to run. */
export const RECOMPUTE_JOBS_INTERVAL_MS = 5_000;
/** How often the worker queues the refresh of clock-dependent computed traits (whole days, trailing windows). */
export const CLOCK_REFRESH_INTERVAL_MS = 60 * 60_000;

/**
 * Recompute jobs: a whole workspace's traits and computed traits derived again, `RECOMPUTE_JOB_CHUNK`
 * profiles per transaction in id order, each chunk committed with the job's progress (a stopped job
 * resumes after its last chunk), each chunk's changes published like an ingest batch's (segments,
 * personas and webhooks follow). The worker runs them (`startSchedules`); any number of workers share
 * them, one job in one worker at a time.
 */
@Injectable()
export class RecomputeJobsService implements OnModuleDestroy {
  private readonly logger = new Logger(RecomputeJobsService.name);
  private readonly schedules = new IntervalJobs(this.logger);
  private draining?: Promise<number>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly recomputer: ProfileRecomputeService,
    private readonly settings: ProfileSettingsService,
    private readonly changes: ProfileChangesService,
  ) {}

  async get(workspaceId: string, id: string): Promise<RecomputeJobView> {
    const [row] = isUuid(id) ? await this.dataSource.query(`SELECT ${COLUMNS} FROM recompute_jobs WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]) : [];
    if (!row) throw new ProfileException('JOB_NOT_FOUND', `job ${id} does not exist`);
    return view(row);
  }

  /** Runs the jobs that are due, one after the other, until none is left; answers how many ran. Concurrent calls share one drain. */
  runDue(): Promise<number> {
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return this.draining;
  }

  /**
   * Runs one job in the foreground (the CLI), reporting progress after each chunk. A job another
   * process is running is followed until it ends instead. Answers the job as it ended.
   */
  async run(workspaceId: string, id: string, onProgress?: (job: RecomputeJobView) => void): Promise<RecomputeJobView> {
    await this.get(workspaceId, id);
    const claimed = await this.claim(id);
    if (claimed) await this.work(claimed, onProgress);
    for (;;) {
      const job = await this.get(workspaceId, id);
      onProgress?.(job);
      if (job.status === 'succeeded' || job.status === 'failed') return job;
      const stalled = await this.claim(id);
      if (stalled) await this.work(stalled, onProgress);
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /**
   * Queues a `clock_refresh` for every workspace having a computed trait that moves with the clock and
   * no refresh waiting or running. Answers the workspaces queued.
   */
  async queueClockRefreshes(): Promise<string[]> {
    const workspaces: { id: string }[] = await this.dataSource.query(
      `SELECT w.id FROM workspaces w
       WHERE NOT EXISTS (SELECT 1 FROM recompute_jobs j WHERE j.workspace_id = w.id AND j.kind = 'clock_refresh' AND j.status IN ('queued', 'running'))`,
    );
    const queued: string[] = [];
    for (const { id } of workspaces) {
      const { computedTraits } = await this.settings.get(id);
      if (!computedTraits.some(dependsOnClock)) continue;
      await queueRecomputeJob(this.dataSource.manager, id, 'clock_refresh');
      queued.push(id);
    }
    return queued;
  }

  /** In the worker: due jobs every `jobsEveryMs`, the clock refresh queued every `clockEveryMs`. */
  startSchedules(options: { jobsEveryMs?: number; clockEveryMs?: number } = {}): void {
    this.schedules.start([
      { everyMs: options.jobsEveryMs ?? RECOMPUTE_JOBS_INTERVAL_MS, what: 'recompute jobs', run: () => this.runDue() },
      { everyMs: options.clockEveryMs ?? CLOCK_REFRESH_INTERVAL_MS, what: 'refresh of clock-dependent computed traits', run: () => this.queueClockRefreshes() },
    ]);
  }

  stopSchedules(): void {
    this.schedules.stop();
  }

  onModuleDestroy(): void {
    this.stopSchedules();
  }

  private async drain(): Promise<number> {
    let ran = 0;
    for (let job = await this.claim(); job; job = await this.claim()) {
      await this.work(job);
      ran++;
    }
    return ran;
  }

  /** Takes a job (the oldest due one, or `id`): queued, or running without progress for a while. */
  private claim(id?: string): Promise<JobRow | undefined> {
    return claimJob<JobRow>(this.dataSource, 'recompute_jobs', COLUMNS, STALLED_AFTER_SECONDS, id);
  }

  private async work(job: JobRow, onProgress?: (job: RecomputeJobView) => void): Promise<void> {
    try {
      const settings = await this.settings.get(job.workspace_id);
      const withEvents = job.kind === 'clock_refresh' ? `AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id)` : '';
      if (job.total === null) {
        const [{ n }] = await this.dataSource.query(`SELECT count(*)::int AS n FROM profiles p WHERE p.workspace_id = $1 AND p.merged_into IS NULL ${withEvents}`, [job.workspace_id]);
        await this.dataSource.query(`UPDATE recompute_jobs SET total = $2 WHERE id = $1`, [job.id, n]);
        job.total = n;
      }
      onProgress?.(view(job));
      for (;;) {
        const chunk = await inTransaction(this.dataSource, async (runner) => {
          const ids = (
            await rows<{ id: string }>(
              runner,
              `SELECT p.id FROM profiles p WHERE p.workspace_id = $1 AND p.merged_into IS NULL AND ($2::uuid IS NULL OR p.id > $2) ${withEvents} ORDER BY p.id LIMIT $3`,
              [job.workspace_id, job.after_profile_id, RECOMPUTE_JOB_CHUNK],
            )
          ).map((r) => r.id);
          const values = await this.recomputer.recompute(runner, job.workspace_id, ids, settings);
          const [progress] = await rows<JobRow>(
            runner,
            `UPDATE recompute_jobs SET processed = processed + $2, after_profile_id = coalesce($3, after_profile_id), heartbeat_at = now(),
                    status = CASE WHEN $4 THEN 'succeeded' ELSE status END, finished_at = CASE WHEN $4 THEN now() END
             WHERE id = $1 RETURNING ${COLUMNS}`,
            [job.id, ids.length, ids.at(-1) ?? null, ids.length < RECOMPUTE_JOB_CHUNK],
          );
          return { ids, values, progress: progress! };
        });
        if (chunk.ids.length) await this.changes.publish({ workspaceId: job.workspace_id, profileIds: chunk.ids, mergedAway: [], recomputed: chunk.values });
        Object.assign(job, chunk.progress);
        onProgress?.(view(job));
        if (job.status !== 'running') return;
      }
    } catch (error) {
      this.logger.error({ err: error, jobId: job.id }, 'a recompute job failed');
      await this.dataSource.query(`UPDATE recompute_jobs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [job.id, error instanceof Error ? error.message.slice(0, 500) : 'failed']);
    }
  }
}

function view(row: JobRow): RecomputeJobView {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    total: row.total,
    processed: row.processed,
    error: row.error,
    createdAt: iso(row.created_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}
