import { Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Clock, SystemClock } from '../../engine/clock/clock.js';
import { inTransaction, rows } from '../../engine/database/sql.js';
import { IntervalJobs } from '../../engine/scheduling/interval-jobs.js';
import { ProfileChangesService } from '../profiles/profile-changes.service.js';
import { ProfileRecomputeService } from '../profiles/profile-recompute.service.js';
import { ProfileSettingsService } from '../profiles/profile-settings.service.js';

/** The worker applies every workspace's retention this often. */
export const RETENTION_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Events deleted per transaction: each batch's profiles are recomputed before the next. */
const EVENTS_PER_BATCH = 5_000;

/** What one pass of retention removed from a workspace. */
export interface RetentionReport {
  workspaceId: string;
  /** Events that happened before this time were deleted. */
  eventsBefore: string;
  /** Dead letters (of syncs and of the tracking intake) set aside before this time were deleted. */
  deadLettersBefore: string;
  eventsDeleted: number;
  deadLettersDeleted: number;
  intakeDeadLettersDeleted: number;
  /** Profiles that lost events, whose computed traits were recomputed. */
  profilesRecomputed: number;
}

/**
 * Retention: raw events and dead letters are kept for a workspace's retention (settings part
 * `retention`, 25 months each by default) and deleted after. The worker applies it to every
 * workspace once a day (`startSchedules`); an admin applies it now from the management API or the
 * CLI. Events go in batches, each in its own transaction with the recompute of its profiles queued
 * in it, so that computed traits (orders count, lifetime value…) follow and a stop in between loses
 * nothing: the recompute sweep picks up what was queued.
 */
@Injectable()
export class RetentionService implements OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private readonly schedules = new IntervalJobs(this.logger);
  private readonly clock: Clock;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: ProfileSettingsService,
    private readonly recompute: ProfileRecomputeService,
    private readonly changes: ProfileChangesService,
    @Optional() clock?: Clock,
  ) {
    this.clock = clock ?? new SystemClock();
  }

  /** Applies the workspace's retention now. */
  async apply(workspaceId: string): Promise<RetentionReport> {
    const { retention } = await this.settings.get(workspaceId);
    const now = this.clock.now();
    const eventsBefore = monthsBefore(now, retention.eventsMonths);
    const deadLettersBefore = monthsBefore(now, retention.deadLettersMonths);

    let eventsDeleted = 0;
    const recomputed = new Set<string>();
    for (;;) {
      const batch = await inTransaction(this.dataSource, async (runner) => {
        const deleted = await rows<{ profile_id: string }>(
          runner,
          `DELETE FROM events WHERE id IN (
             SELECT id FROM events WHERE workspace_id = $1 AND occurred_at < $2 ORDER BY id LIMIT ${EVENTS_PER_BATCH} FOR UPDATE SKIP LOCKED
           ) RETURNING profile_id`,
          [workspaceId, eventsBefore],
        );
        const profileIds = [...new Set(deleted.map((r) => r.profile_id))];
        return { deleted: deleted.length, profileIds, queueId: await this.recompute.queue(runner, workspaceId, profileIds) };
      });
      eventsDeleted += batch.deleted;
      if (batch.queueId) {
        const values = await this.recompute.runQueued(batch.queueId);
        batch.profileIds.forEach((id) => recomputed.add(id));
        await this.changes.publish({ workspaceId, profileIds: batch.profileIds, mergedAway: [], recomputed: values });
      }
      if (batch.deleted < EVENTS_PER_BATCH) break;
    }

    const [deadLetters] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM dead_letters WHERE workspace_id = $1 AND created_at < $2 RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [workspaceId, deadLettersBefore],
    );
    const [intakeDeadLetters] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM intake_dead_letters WHERE workspace_id = $1 AND created_at < $2 RETURNING 1) SELECT count(*)::int AS n FROM gone`,
      [workspaceId, deadLettersBefore],
    );
    const report: RetentionReport = {
      workspaceId,
      eventsBefore: eventsBefore.toISOString(),
      deadLettersBefore: deadLettersBefore.toISOString(),
      eventsDeleted,
      deadLettersDeleted: deadLetters.n,
      intakeDeadLettersDeleted: intakeDeadLetters.n,
      profilesRecomputed: recomputed.size,
    };
    if (eventsDeleted + report.deadLettersDeleted + report.intakeDeadLettersDeleted > 0) {
      const { workspaceId: _, ...counts } = report;
      this.logger.log({ workspaceId, ...counts }, 'retention applied');
    }
    return report;
  }

  /** Applies every workspace's retention, one after the other; a workspace that fails is logged and the others go on. */
  async applyAll(): Promise<RetentionReport[]> {
    const workspaces: { id: string }[] = await this.dataSource.query(`SELECT id FROM workspaces ORDER BY created_at`);
    const reports: RetentionReport[] = [];
    for (const { id } of workspaces) {
      try {
        reports.push(await this.apply(id));
      } catch (error) {
        this.logger.error({ err: error, workspaceId: id }, 'retention could not be applied');
      }
    }
    return reports;
  }

  /** In the worker: every workspace once a day. */
  startSchedules(everyMs = RETENTION_INTERVAL_MS): void {
    this.schedules.start([{ everyMs, what: 'retention', run: () => this.applyAll() }]);
  }

  onModuleDestroy(): void {
    this.schedules.stop();
  }
}

/** The same time of day `months` calendar months earlier (the last day of a shorter month when the day does not exist). */
export function monthsBefore(now: Date, months: number): Date {
  const at = new Date(now);
  const day = at.getUTCDate();
  at.setUTCDate(1);
  at.setUTCMonth(at.getUTCMonth() - months);
  const lastDay = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0)).getUTCDate();
  at.setUTCDate(Math.min(day, lastDay));
  return at;
}
