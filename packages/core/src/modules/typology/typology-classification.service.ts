import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { Clock, SystemClock } from '../../engine/clock/clock.js';
import { disableJit, inTransaction, lockWorkspaceProfiles, poolQuery } from '../../engine/database/sql.js';
import { TYPOLOGIES } from '../personas/persona-definition.js';
import { ProfileChangesService, type ProfileChange } from '../profiles/profile-changes.service.js';
import { ProfileFollower } from '../profiles/profile-follower.js';
import { compileTypologyClassification, type TypologyChange } from './typology-classification.sql.js';
import { TypologySettingsService } from './typology-settings.service.js';

/** Profiles classified by one statement (and one transaction) of a full run. */
export const TYPOLOGY_BATCH = 5000;
/** How often the worker classifies every workspace again (engagement windows move with the clock). */
export const TYPOLOGY_FULL_RECLASSIFY_INTERVAL_MS = 24 * 60 * 60_000;

/** What a profile's typology can be: one of the four, or `unknown` when there is too little behaviour to say. */
export const TYPOLOGY_VALUES = [...TYPOLOGIES, 'unknown'] as const;
export type TypologyValue = (typeof TYPOLOGY_VALUES)[number];

export type TypologyRunKind = 'incremental' | 'full' | 'scheduled';

export interface TypologyRun {
  kind: TypologyRunKind;
  /** Profiles classified. */
  evaluated: number;
  /** Profiles whose typology changed. */
  changed: number;
  durationMs: number;
}

/** How many live people of the workspace have each typology; `unclassified`: none yet. */
export interface TypologyDistribution {
  total: number;
  counts: Record<TypologyValue | 'unclassified', number>;
}

type Batch = { evaluated: number; changes: TypologyChange[] };

/**
 * Keeps each person's typology current (`profiles.typology`, `typology_reason`, `typology_figures`,
 * `typology_set_at`), set-based, never one statement per profile:
 * - incremental, after each committed profile change, in the `classify` phase: before personas are
 *   assigned and segments re-evaluated, so that both read the new typology in the same fan-out (and
 *   the change's own `profile.updated` webhook event covers it);
 * - full, on demand (`POST …/typology/recompute`, `portrait typology recompute`) and after the
 *   workspace's thresholds change: the whole workspace in batches of profile ids, each in its own
 *   transaction;
 * - scheduled, in the worker (`startSchedules`, from `ProfileFollower`): every workspace once a day.
 * After a full or scheduled run, the live profiles whose typology changed are published from the
 * `assign` phase: personas and segments follow, and each is a `profile.updated` webhook event.
 * Writers are serialized with the ingest by the workspace's profile lock.
 */
@Injectable()
export class TypologyClassificationService extends ProfileFollower {
  private readonly clock: Clock;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: ProfileChangesService,
    private readonly settings: TypologySettingsService,
    @Optional() clock?: Clock,
  ) {
    super(dataSource, changes, {
      // Before personas: persona rules may read the typology.
      phase: 'classify',
      full: { everyMs: TYPOLOGY_FULL_RECLASSIFY_INTERVAL_MS, what: 'full typology classification' },
    });
    this.clock = clock ?? new SystemClock();
  }

  protected async followChange(change: ProfileChange): Promise<void> {
    await this.classifyProfiles(change.workspaceId, change.profileIds, change.mergedAway);
  }

  /** Nothing of the typology depends on the clock more finely than the daily full run keeps it. */
  protected runTimeWindowed(): Promise<unknown> {
    return Promise.resolve();
  }

  protected runInFull(workspaceId: string): Promise<unknown> {
    return this.reclassifyAll(workspaceId, { kind: 'scheduled' });
  }

  /** Every workspace having profiles. */
  protected override async workspacesToRunInFull(): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(`SELECT w.id FROM workspaces w WHERE EXISTS (SELECT 1 FROM profiles p WHERE p.workspace_id = w.id)`);
    return rows.map((r) => r.id);
  }

  /**
   * Classifies these profiles (an ingest batch's changed ones; merged-away ones lose their typology).
   * It publishes no profile change: it runs in the `classify` phase of the change being fanned out,
   * whose later phases read the result.
   */
  async classifyProfiles(workspaceId: string, profileIds: string[], mergedAway: string[] = []): Promise<TypologyRun & { changes: TypologyChange[] }> {
    const t0 = performance.now();
    const ids = [...new Set([...profileIds, ...mergedAway])];
    const changes: TypologyChange[] = [];
    let evaluated = 0;
    for (let start = 0; start < ids.length; start += TYPOLOGY_BATCH) {
      const chunk = ids.slice(start, start + TYPOLOGY_BATCH);
      const batch = await this.inBatch(workspaceId, () => Promise.resolve(chunk));
      evaluated += batch?.evaluated ?? 0;
      changes.push(...(batch?.changes ?? []));
    }
    return { kind: 'incremental', evaluated, changed: changes.length, durationMs: Math.round(performance.now() - t0), changes };
  }

  /**
   * Classifies every profile of the workspace, in id order, `batchSize` per statement (default
   * TYPOLOGY_BATCH); the live profiles whose typology changed are published after each batch.
   */
  async reclassifyAll(workspaceId: string, options: { kind?: 'full' | 'scheduled'; batchSize?: number } = {}): Promise<TypologyRun> {
    const t0 = performance.now();
    const size = options.batchSize ?? TYPOLOGY_BATCH;
    let cursor: string | null = null;
    let evaluated = 0;
    let changed = 0;
    for (;;) {
      const batch = await this.inBatch(workspaceId, async (runner) => {
        const rows: { id: string }[] = await runner.query(
          `SELECT id FROM profiles WHERE workspace_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid) AND (kind = 'person' OR typology IS NOT NULL) ORDER BY id LIMIT $3`,
          [workspaceId, cursor, size],
        );
        cursor = rows.length ? rows[rows.length - 1]!.id : null;
        return rows.map((r) => r.id);
      });
      if (!batch) break;
      evaluated += batch.evaluated;
      changed += batch.changes.length;
      const live = batch.changes.filter((c) => c.live).map((c) => c.profileId);
      // Personas and segments follow; the webhook outbox emits `profile.updated` for each.
      if (live.length) await this.changes.publish({ workspaceId, profileIds: live, mergedAway: [] }, { from: 'assign' });
      if (cursor === null) break;
    }
    return { kind: options.kind ?? 'full', evaluated, changed, durationMs: Math.round(performance.now() - t0) };
  }

  /** How many live people of the workspace have each typology. */
  async distribution(workspaceId: string): Promise<TypologyDistribution> {
    const rows = await poolQuery<{ typology: string | null; n: number }>(
      this.dataSource,
      `SELECT typology, count(*)::int AS n FROM profiles WHERE workspace_id = $1 AND kind = 'person' AND merged_into IS NULL GROUP BY typology`,
      [workspaceId],
    );
    const counts = Object.fromEntries([...TYPOLOGY_VALUES, 'unclassified'].map((t) => [t, 0])) as TypologyDistribution['counts'];
    for (const row of rows) counts[(row.typology ?? 'unclassified') as keyof typeof counts] += row.n;
    return { total: rows.reduce((sum, r) => sum + r.n, 0), counts };
  }

  /** One transaction: the workspace's profiles locked, its thresholds read, the selected profiles classified and written. */
  private inBatch(workspaceId: string, select: (runner: QueryRunner) => Promise<string[]>): Promise<Batch | undefined> {
    return inTransaction(this.dataSource, async (runner) => {
      await lockWorkspaceProfiles(runner, workspaceId);
      // A short statement, wide with expressions: compiling it would cost more than running it.
      await disableJit(runner);
      const ids = await select(runner);
      if (ids.length === 0) return undefined;
      const settings = await this.settings.get(workspaceId, runner.manager);
      const compiled = compileTypologyClassification(workspaceId, settings, ids, this.clock.now());
      const [row]: Batch[] = await runner.query(compiled.sql, compiled.params);
      return { evaluated: row!.evaluated, changes: row!.changes };
    });
  }
}
