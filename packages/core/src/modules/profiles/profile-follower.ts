import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { IntervalJobs } from '../../engine/scheduling/interval-jobs.js';
import type { ProfileChange, ProfileChangePhase, ProfileChangesService } from './profile-changes.service.js';

/** A recurring run: how often, and what the log calls it when it fails. */
export interface FollowerRun {
  everyMs: number;
  what: string;
}

export interface ProfileFollowing {
  /** The phase of a profile change's fan-out the follower runs in (default: `evaluate`). */
  phase?: ProfileChangePhase;
  /**
   * The definitions' table (`segments`, `personas`, `icps`): the workspaces having a live row are run in full.
   * Without one, the follower says which workspaces it runs in full (`workspacesToRunInFull`).
   */
  table?: 'segments' | 'personas' | 'icps';
  /** The run of what depends on the clock (none: the full run keeps it current). */
  timeWindowed?: FollowerRun;
  /** The full run of every workspace having a definition, a safety net under the incremental runs. */
  full: FollowerRun;
}

/**
 * State derived from profiles by definitions (segment membership, persona assignment) kept current the
 * same way: after each committed profile change, for the profiles it changed (subscribed at bootstrap,
 * dropped at shutdown); and, in the worker only (`startSchedules`; other processes re-evaluate just
 * what they change), what depends on the clock often and everything in full, workspace by workspace,
 * more rarely. A failed scheduled run is logged and the next one runs. Several workers may run the
 * schedules: each follower's locks (segment rows, the workspace's profiles) keep their writes apart.
 */
export abstract class ProfileFollower implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly logger: Logger;
  private readonly schedules: IntervalJobs;
  private unsubscribe?: () => void;

  protected constructor(
    private readonly db: DataSource,
    private readonly profileChanges: ProfileChangesService,
    private readonly following: ProfileFollowing,
  ) {
    this.logger = new Logger(new.target.name);
    this.schedules = new IntervalJobs(this.logger);
  }

  /** Re-evaluates the profiles of a committed change. */
  protected abstract followChange(change: ProfileChange): Promise<void>;
  /** Re-evaluates what depends on the clock, in every workspace (run only when `timeWindowed` is given). */
  protected abstract runTimeWindowed(): Promise<unknown>;
  /** Re-evaluates a whole workspace. */
  protected abstract runInFull(workspaceId: string): Promise<unknown>;

  /** The workspaces the full run covers: by default, those having a live row of the definitions' table. */
  protected async workspacesToRunInFull(): Promise<string[]> {
    const { table } = this.following;
    if (!table) return [];
    // `table` is one of three names, never input.
    const workspaces: { workspace_id: string }[] = await this.db.query(`SELECT DISTINCT workspace_id FROM ${table} WHERE deleted_at IS NULL`);
    return workspaces.map((w) => w.workspace_id);
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.profileChanges.subscribe((change) => this.followChange(change), { phase: this.following.phase });
  }

  /** The scheduled runs, every `timeWindowedEveryMs` and `fullEveryMs` (the follower's defaults unless given). */
  startSchedules(options: { timeWindowedEveryMs?: number; fullEveryMs?: number } = {}): void {
    const { timeWindowed, full } = this.following;
    this.schedules.start([
      ...(timeWindowed ? [{ everyMs: options.timeWindowedEveryMs ?? timeWindowed.everyMs, what: timeWindowed.what, run: () => this.runTimeWindowed() }] : []),
      {
        everyMs: options.fullEveryMs ?? full.everyMs,
        what: full.what,
        run: async () => {
          for (const workspaceId of await this.workspacesToRunInFull()) await this.runInFull(workspaceId);
        },
      },
    ]);
  }

  stopSchedules(): void {
    this.schedules.stop();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    this.stopSchedules();
  }
}
