import { Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { Clock, SystemClock } from '../../engine/clock/clock.js';
import { disableJit, inTransaction, lockProfileRows, rows } from '../../engine/database/sql.js';
import { IntervalJobs } from '../../engine/scheduling/interval-jobs.js';
import { compileComputedTraits } from '../traits/computed-traits.sql.js';
import { traitMergeSql } from '../traits/trait-merge.sql.js';
import { ProfileChangesService, type RecomputedValues } from './profile-changes.service.js';
import { ProfileSettingsService, type ProfileSettings } from './profile-settings.service.js';

/** How old a queued recompute is before the worker's sweep takes it (its batch's process stopped first). */
export const RECOMPUTE_SWEEP_AFTER_MS = 60_000;
/** How often the worker sweeps the queue. */
export const RECOMPUTE_SWEEP_INTERVAL_MS = 60_000;

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

/**
 * Derives a profile's traits (from its source records) and computed traits (from its events).
 *
 * An ingest batch does not do it under the workspace's ingest lock: it queues the ids it changed
 * (`queue`, in its transaction) and, once committed, `runQueued` recomputes them in a transaction of
 * their own, while the next batch already resolves identities. Each recompute first locks its
 * profiles' rows in id order, so recomputes of overlapping batches run one after the other, each
 * reading everything committed before it (the last one sees every batch: no lost update), and never
 * deadlock on one another. A queued row left behind because the process stopped is taken by the
 * worker's sweep (`recomputePending`).
 */
@Injectable()
export class ProfileRecomputeService implements OnModuleDestroy {
  private readonly logger = new Logger(ProfileRecomputeService.name);
  private readonly schedules = new IntervalJobs(this.logger);
  private readonly clock: Clock;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settingsService: ProfileSettingsService,
    private readonly changes: ProfileChangesService,
    // The core module provides it; a module assembled without the core (a test's) goes by the machine's clock.
    @Optional() clock?: Clock,
  ) {
    this.clock = clock ?? new SystemClock();
  }

  /**
   * Recomputes traits (appending changes to history) and computed traits of these profiles, in the
   * caller's transaction; answers the new values of those whose traits or computed traits changed.
   */
  async recompute(runner: QueryRunner, workspaceId: string, profileIds: string[], settings: ProfileSettings): Promise<RecomputedValues[]> {
    if (profileIds.length === 0) return [];
    await lockProfileRows(runner, profileIds);
    await disableJit(runner);
    const withPrecedence = Object.keys(settings.traitPrecedence).length > 0;
    const precedence = withPrecedence ? [JSON.stringify(settings.traitPrecedence)] : [];
    const computed = compileComputedTraits(settings.computedTraits, 3 + precedence.length, this.clock.now());
    return rows<RecomputedValues>(runner, traitMergeSql(withPrecedence, computed.query), [workspaceId, profileIds, ...precedence, ...computed.params]);
  }

  /** Queues the recompute of these profiles in the caller's transaction; answers the queue row's id. */
  async queue(runner: QueryRunner, workspaceId: string, profileIds: string[]): Promise<string | undefined> {
    if (profileIds.length === 0) return undefined;
    const [row] = await rows<{ id: string }>(runner, `INSERT INTO profile_recompute_queue (workspace_id, profile_ids) VALUES ($1, $2::uuid[]) RETURNING id`, [
      workspaceId,
      profileIds,
    ]);
    return row!.id;
  }

  /**
   * Runs a queued recompute in its own transaction (again, up to three times, when PostgreSQL cancels it
   * for a deadlock with another writer of these profiles). Does nothing when the row is gone (the sweep
   * took it). Answers the new values of the profiles that changed (none when the row was gone).
   */
  async runQueued(queueId: string): Promise<RecomputedValues[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await inTransaction(this.dataSource, (runner) => this.take(runner, queueId)))?.values ?? [];
      } catch (error) {
        if (attempt >= ATTEMPTS || !RETRYABLE.has((error as { code?: string }).code ?? '')) throw error;
      }
    }
  }

  /**
   * The sweep: recomputes queued rows older than `olderThanMs` (oldest first, at most `limit`), each
   * published as a profile change. Several workers may sweep: each row is taken by one. A row whose
   * recompute fails is logged and goes to the back of the queue, so that it holds up no other.
   */
  async recomputePending(olderThanMs = RECOMPUTE_SWEEP_AFTER_MS, limit = 100): Promise<number> {
    let done = 0;
    for (let tried = 0; tried < limit; tried++) {
      let queueId: string | undefined;
      try {
        const taken = await inTransaction(this.dataSource, async (runner) => {
          const [next] = await rows<{ id: string }>(
            runner,
            `SELECT id FROM profile_recompute_queue WHERE queued_at < now() - make_interval(secs => $1::float8 / 1000)
             ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [olderThanMs],
          );
          queueId = next?.id;
          return next ? this.take(runner, next.id) : undefined;
        });
        if (!taken) break;
        done++;
        await this.changes.publish({ workspaceId: taken.workspace_id, profileIds: taken.profile_ids, mergedAway: [], recomputed: taken.values });
      } catch (error) {
        if (!queueId) throw error;
        this.logger.error({ err: error, queueId }, 'a queued trait recompute failed; it is retried at a later sweep');
        await this.dataSource.query(`UPDATE profile_recompute_queue SET queued_at = now() WHERE id = $1`, [queueId]);
      }
    }
    if (done) this.logger.warn({ recomputes: done }, 'recomputed traits left queued by a stopped process');
    return done;
  }

  /** The sweep every `everyMs`, in the worker. */
  startSchedules(options: { everyMs?: number } = {}): void {
    this.schedules.start([{ everyMs: options.everyMs ?? RECOMPUTE_SWEEP_INTERVAL_MS, what: 'sweep of queued trait recomputes', run: () => this.recomputePending() }]);
  }

  stopSchedules(): void {
    this.schedules.stop();
  }

  onModuleDestroy(): void {
    this.stopSchedules();
  }

  /** Deletes the queue row and recomputes its profiles, in `runner`'s transaction. */
  private async take(runner: QueryRunner, queueId: string): Promise<{ workspace_id: string; profile_ids: string[]; values: RecomputedValues[] } | undefined> {
    const [row] = await rows<{ workspace_id: string; profile_ids: string[] }>(runner, `DELETE FROM profile_recompute_queue WHERE id = $1 RETURNING workspace_id, profile_ids`, [
      queueId,
    ]);
    if (!row) return undefined;
    const values = await this.recompute(runner, row.workspace_id, row.profile_ids, await this.settingsService.get(row.workspace_id, runner.manager));
    return { ...row, values };
  }
}
