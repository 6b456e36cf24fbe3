import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { disableJit, inTransaction, lockWorkspaceProfiles } from '../../engine/database/sql.js';
import { ProfileChangesService, type ProfileChange } from '../profiles/profile-changes.service.js';
import { ProfileFollower } from '../profiles/profile-follower.js';
import { isTimeWindowed } from '../segments/segment-validator.js';
import type { IcpCriterion } from './icp-definition.js';
import { compileAccountScoring, compileFitUpdate, compileScoreRemoval, type ScoringIcp } from './icp-scoring.sql.js';

export type IcpScoringKind = 'incremental' | 'full' | 'scheduled';

export interface IcpScoringRun {
  kind: IcpScoringKind;
  /** Accounts scored. */
  accounts: number;
  /** Profiles (accounts and people) whose best fit changed. */
  changed: number;
  durationMs: number;
}

/** Accounts (or profiles, for fits) per statement and transaction of a full run. */
export const ICP_SCORING_BATCH = 2000;
/** How often the worker re-scores the workspaces having ICPs whose criteria depend on the clock. */
export const ICP_TIME_WINDOW_INTERVAL_MS = 15 * 60_000;
/** How often the worker re-scores every workspace having ICPs in full. */
export const ICP_FULL_RESCORE_INTERVAL_MS = 24 * 60 * 60_000;

type Scored = { scored: number; changed: string[] };

const hasPeopleCriteria = (icps: ScoringIcp[]) => icps.some((i) => i.criteria.some((c) => c.kind === 'people'));

/**
 * Keeps ICP fits current, set-based: each live account's score and qualification per ICP
 * (`icp_scores`) and each profile's best fit (`profiles.icp_fit`, `icp_qualified`, `icp_account_id`):
 * - incremental, after each committed profile change, in the `assign` phase (before segments, whose
 *   `icp` leaf reads the fits): the changed accounts, and — when some ICP counts people — the accounts
 *   of the changed people (a person's behaviour, or a person moving, changes the count); then the fits
 *   of the changed profiles and of the people of every account whose scores changed;
 * - full, when an ICP is created, changed or deleted: every account in batches, then every profile's fit;
 * - scheduled, in the worker: workspaces with clock-dependent criteria every 15 minutes, every
 *   workspace with ICPs once a day.
 * Writers are serialized with the ingest by the workspace's profile lock. Profiles whose fit changed
 * outside the change being fanned out are published to the later phases, so that segments follow.
 */
@Injectable()
export class IcpScoringService extends ProfileFollower {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: ProfileChangesService,
  ) {
    super(dataSource, changes, {
      phase: 'assign',
      table: 'icps',
      timeWindowed: { everyMs: ICP_TIME_WINDOW_INTERVAL_MS, what: 'ICP scoring of clock-dependent criteria' },
      full: { everyMs: ICP_FULL_RESCORE_INTERVAL_MS, what: 'full ICP scoring' },
    });
  }

  protected async followChange(change: ProfileChange): Promise<void> {
    await this.scoreProfiles(change.workspaceId, change.profileIds, change.mergedAway);
  }

  protected runTimeWindowed(): Promise<unknown> {
    return this.rescoreTimeWindowed();
  }

  protected runInFull(workspaceId: string): Promise<unknown> {
    return this.rescoreAll(workspaceId, { kind: 'scheduled' });
  }

  /**
   * Re-scores what a change of these profiles concerns (see the class) and answers the run. The
   * profiles given are being fanned out already; the others whose fit changed are published.
   */
  async scoreProfiles(workspaceId: string, profileIds: string[], mergedAway: string[] = []): Promise<IcpScoringRun> {
    const t0 = performance.now();
    const ids = [...new Set([...profileIds, ...mergedAway])];
    if (ids.length === 0) return { kind: 'incremental', accounts: 0, changed: 0, durationMs: 0 };
    const [{ relevant }]: { relevant: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM icps WHERE workspace_id = $1 AND deleted_at IS NULL)
           OR EXISTS (SELECT 1 FROM icp_scores WHERE workspace_id = $1)
           OR EXISTS (SELECT 1 FROM profiles WHERE id = ANY($2::uuid[]) AND icp_fit IS NOT NULL) AS relevant`,
      [workspaceId, ids],
    );
    if (!relevant) return { kind: 'incremental', accounts: 0, changed: 0, durationMs: 0 };
    const result = await this.inTransaction(workspaceId, async (runner, icps) => {
      const accounts: { id: string }[] = await runner.query(
        hasPeopleCriteria(icps)
          ? // The changed accounts, the people's current accounts and the ones they held their fit from (they may have moved).
            `SELECT id FROM profiles WHERE workspace_id = $1 AND id = ANY($2::uuid[]) AND kind = 'account'
             UNION SELECT l.account_id FROM account_links l WHERE l.workspace_id = $1 AND l.person_id = ANY($2::uuid[])
             UNION SELECT icp_account_id FROM profiles WHERE workspace_id = $1 AND id = ANY($2::uuid[]) AND icp_account_id IS NOT NULL`
          : `SELECT id FROM profiles WHERE workspace_id = $1 AND id = ANY($2::uuid[]) AND kind = 'account'`,
        [workspaceId, ids],
      );
      const scored = await this.score(runner, workspaceId, icps, accounts.map((a) => a.id));
      // The fits to set again: the changed profiles, the accounts whose scores changed and their people.
      // Segments read the scores through the people's accounts: those people changed too, whatever their best fit.
      const concerned = await this.concerned(runner, workspaceId, [...scored.changed, ...mergedAway]);
      const changed = await this.fit(runner, workspaceId, [...new Set([...ids, ...concerned])]);
      return { accounts: scored.scored, changed, concerned };
    });
    const given = new Set(ids);
    await this.publish(workspaceId, [...new Set([...result.changed, ...result.concerned])].filter((id) => !given.has(id)));
    return { kind: 'incremental', accounts: result.accounts, changed: result.changed.length, durationMs: Math.round(performance.now() - t0) };
  }

  /**
   * Re-scores every account of the workspace (in id order, a batch per transaction), then sets every
   * profile's fit again (live profiles and those still holding a fit); each batch's changed profiles are
   * published so that segments follow.
   */
  async rescoreAll(workspaceId: string, options: { kind?: 'full' | 'scheduled'; batchSize?: number } = {}): Promise<IcpScoringRun> {
    const t0 = performance.now();
    const size = options.batchSize ?? ICP_SCORING_BATCH;
    let accounts = 0;
    let changed = 0;
    // The live accounts whose scores changed and their people: segments read the scores through them.
    const concerned = new Set<string>();
    for (let cursor = '00000000-0000-0000-0000-000000000000'; ; ) {
      const batch = await this.inTransaction(workspaceId, async (runner, icps) => {
        const rows: { id: string }[] = await runner.query(
          `SELECT id FROM profiles WHERE workspace_id = $1 AND kind = 'account' AND id > $2 ORDER BY id LIMIT $3`,
          [workspaceId, cursor, size],
        );
        const scored = await this.score(runner, workspaceId, icps, rows.map((r) => r.id));
        return { ids: rows.map((r) => r.id), scored: scored.scored, concerned: await this.concerned(runner, workspaceId, scored.changed) };
      });
      accounts += batch.scored;
      for (const id of batch.concerned) concerned.add(id);
      if (batch.ids.length === 0) break;
      cursor = batch.ids[batch.ids.length - 1]!;
      if (batch.ids.length < size) break;
    }
    for (let cursor = '00000000-0000-0000-0000-000000000000'; ; ) {
      const batch = await this.inTransaction(workspaceId, async (runner) => {
        const rows: { id: string }[] = await runner.query(
          `SELECT id FROM profiles WHERE workspace_id = $1 AND id > $2 AND (merged_into IS NULL OR icp_fit IS NOT NULL) ORDER BY id LIMIT $3`,
          [workspaceId, cursor, size],
        );
        return { ids: rows.map((r) => r.id), changed: await this.fit(runner, workspaceId, rows.map((r) => r.id)) };
      });
      changed += batch.changed.length;
      for (const id of batch.changed) concerned.add(id);
      if (batch.ids.length < size) break;
      cursor = batch.ids[batch.ids.length - 1]!;
    }
    const published = [...concerned];
    for (let start = 0; start < published.length; start += size) await this.publish(workspaceId, published.slice(start, start + size));
    return { kind: options.kind ?? 'full', accounts, changed, durationMs: Math.round(performance.now() - t0) };
  }

  /** Re-scores the workspaces (one, or all) having an ICP whose criteria depend on the clock. */
  async rescoreTimeWindowed(workspaceId?: string): Promise<IcpScoringRun[]> {
    const rows: { workspace_id: string; criteria: IcpCriterion[] }[] = await this.dataSource.query(
      `SELECT workspace_id, criteria FROM icps WHERE deleted_at IS NULL AND ($1::uuid IS NULL OR workspace_id = $1::uuid)`,
      [workspaceId ?? null],
    );
    const windowed = new Set(rows.filter((r) => r.criteria.some((c) => isTimeWindowed(c.condition, () => undefined))).map((r) => r.workspace_id));
    const runs: IcpScoringRun[] = [];
    for (const id of windowed) runs.push(await this.rescoreAll(id, { kind: 'scheduled' }));
    return runs;
  }

  /** One transaction: the workspace's profiles locked, the live ICPs read (oldest first). */
  private inTransaction<T>(workspaceId: string, work: (runner: QueryRunner, icps: ScoringIcp[]) => Promise<T>): Promise<T> {
    return inTransaction(this.dataSource, async (runner) => {
      await lockWorkspaceProfiles(runner, workspaceId);
      await disableJit(runner);
      const icps: ScoringIcp[] = await runner.query(
        `SELECT id, criteria, threshold FROM icps WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
        [workspaceId],
      );
      return work(runner, icps);
    });
  }

  /** Scores these accounts against the ICPs (or removes their scores when there is none). */
  private async score(runner: QueryRunner, workspaceId: string, icps: ScoringIcp[], accountIds: string[]): Promise<Scored> {
    if (accountIds.length === 0) return { scored: 0, changed: [] };
    let peopleIds: string[] = [];
    if (hasPeopleCriteria(icps)) {
      const people: { person_id: string }[] = await runner.query(`SELECT DISTINCT person_id FROM account_links WHERE workspace_id = $1 AND account_id = ANY($2::uuid[])`, [workspaceId, accountIds]);
      peopleIds = people.map((p) => p.person_id);
    }
    const compiled = icps.length ? compileAccountScoring(workspaceId, icps, accountIds, peopleIds) : compileScoreRemoval(workspaceId, accountIds);
    const [row]: Scored[] = await runner.query(compiled.sql, compiled.params);
    return { scored: row!.scored, changed: [...new Set(row!.changed)] };
  }

  /** Sets these profiles' best fit; answers the live ones that changed. */
  private async fit(runner: QueryRunner, workspaceId: string, profileIds: string[]): Promise<string[]> {
    if (profileIds.length === 0) return [];
    const compiled = compileFitUpdate(workspaceId, profileIds);
    const [row]: { changed: string[] }[] = await runner.query(compiled.sql, compiled.params);
    return row!.changed;
  }

  /** The live accounts among these and the people linked to them or holding their fit from them. */
  private async concerned(runner: QueryRunner, workspaceId: string, accountIds: string[]): Promise<string[]> {
    if (accountIds.length === 0) return [];
    const rows: { id: string }[] = await runner.query(
      `SELECT id FROM profiles WHERE workspace_id = $1 AND id = ANY($2::uuid[]) AND merged_into IS NULL
       UNION SELECT l.person_id FROM account_links l WHERE l.workspace_id = $1 AND l.account_id = ANY($2::uuid[])
       UNION SELECT id FROM profiles WHERE workspace_id = $1 AND icp_account_id = ANY($2::uuid[])`,
      [workspaceId, accountIds],
    );
    return rows.map((r) => r.id);
  }

  /** After commit: profiles whose fit changed, to the phases after this one (segments, webhooks). */
  private async publish(workspaceId: string, profileIds: string[]): Promise<void> {
    if (profileIds.length) await this.changes.publish({ workspaceId, profileIds, mergedAway: [] }, { from: 'evaluate' });
  }
}
