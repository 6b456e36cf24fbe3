import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { inTransaction, lockProfileRows, lockWorkspaceProfiles, rows } from '../../engine/database/sql.js';
import { writeProfileMerges } from './profile-merges.writer.js';
import { ProfileChangesService } from './profile-changes.service.js';
import { ProfileException } from './profile.exception.js';
import { ProfileRecomputeService } from './profile-recompute.service.js';
import { ProfileSettingsService } from './profile-settings.service.js';
import { isUuid } from './profiles.service.js';

/** Who merged two profiles by hand: an admin user, or an operator at the CLI. */
export interface MergeActor {
  userId?: string;
  /** The user's e-mail, or `cli:<os user>`. */
  label: string;
  via: 'session' | 'token' | 'cli';
}

/**
 * Why two profiles were merged. By the ingest: the identifiers they shared and the record that brought
 * them together. By hand: `source` is `admin`, `externalId` the actor's label, `linkedBy` empty, and
 * `actor` says who.
 */
export interface MergeReason {
  linkedBy: { type: string; value: string }[];
  source: string;
  externalId: string;
  actor?: MergeActor;
}

export interface MergeView {
  id: string;
  winnerId: string;
  loserId: string;
  reason: MergeReason;
  createdAt: string;
  undoneAt: string | null;
}

type MergeRow = { id: string; winner_id: string; loser_id: string; reason: MergeReason; created_at: Date; undone_at: Date | null };

const toMergeView = (m: MergeRow): MergeView => ({
  id: m.id,
  winnerId: m.winner_id,
  loserId: m.loser_id,
  reason: m.reason,
  createdAt: new Date(m.created_at).toISOString(),
  undoneAt: m.undone_at ? new Date(m.undone_at).toISOString() : null,
});

/** The merge log, and undoing a merge. */
@Injectable()
export class MergesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: ProfileSettingsService,
    private readonly recomputer: ProfileRecomputeService,
    private readonly changes: ProfileChangesService,
  ) {}

  async list(workspaceId: string, options: { profileId?: string; limit?: number } = {}): Promise<MergeView[]> {
    const params: unknown[] = [workspaceId, Math.min(options.limit ?? 100, 500)];
    let filter = '';
    if (options.profileId) {
      params.push(options.profileId);
      filter = `AND (winner_id = $3 OR loser_id = $3)`;
    }
    const found = await this.dataSource.query(
      `SELECT id, winner_id, loser_id, reason, created_at, undone_at FROM merges WHERE workspace_id = $1 ${filter} ORDER BY created_at DESC, id LIMIT $2`,
      params,
    );
    return found.map(toMergeView);
  }

  /**
   * Merges two profiles by hand: `mergedId` goes into `survivorId` exactly as an ingest merge would
   * (its rows move, it points at the survivor, the merge is logged — with the actor as its reason — and
   * can be undone with `unmerge`); the survivor is recomputed and the change published. Merged-away ids
   * stand for their surviving profiles. Refused: the same profile twice or a person with an account
   * (INVALID_MERGE, naming the field), and a merge that would give the survivor more identifiers of a
   * type than the workspace's identity rules allow (MERGE_IDENTITY_CONFLICT), as the ingest refuses it.
   */
  async merge(workspaceId: string, survivorId: string, mergedId: string, actor: MergeActor): Promise<MergeView> {
    const settings = await this.settings.get(workspaceId);
    const outcome = await inTransaction(this.dataSource, async (runner) => {
      await lockWorkspaceProfiles(runner, workspaceId);
      const [survivor, loser] = [await survivorIn(runner, workspaceId, survivorId), await survivorIn(runner, workspaceId, mergedId)];
      if (!survivor) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${survivorId} does not exist`);
      if (!loser) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${mergedId} does not exist`);
      if (survivor.id === loser.id) {
        throw new ProfileException('INVALID_MERGE', `profile ${mergedId} is already ${survivor.id}`, { errors: [{ field: 'mergedId', message: 'is the survivor itself (or was merged into it)' }] });
      }
      if (survivor.kind !== loser.kind) {
        throw new ProfileException('INVALID_MERGE', `a ${loser.kind} cannot be merged into a ${survivor.kind}`, { errors: [{ field: 'mergedId', message: `is a ${loser.kind}; the survivor is a ${survivor.kind}` }] });
      }
      const held = await rows<{ type: string; n: number }>(
        runner,
        `SELECT type, count(DISTINCT value)::int AS n FROM identities WHERE workspace_id = $1 AND profile_id = ANY($2::uuid[]) GROUP BY type ORDER BY type`,
        [workspaceId, [survivor.id, loser.id]],
      );
      const over = held.filter((h) => h.n > (settings.identity.types[h.type] ?? settings.identity.fallback).limit);
      if (over.length) {
        const message = over.map((h) => `${h.n} ${h.type} values, at most ${(settings.identity.types[h.type] ?? settings.identity.fallback).limit}`).join('; ');
        throw new ProfileException('MERGE_IDENTITY_CONFLICT', `the merged profile would hold ${message}`, { errors: [{ field: 'mergedId', message: `the merged profile would hold ${message}` }] });
      }
      const [mergeId] = await writeProfileMerges(runner, workspaceId, [
        { winner: survivor.id, loser: loser.id, survivor: survivor.id, reason: { linkedBy: [], source: 'admin', externalId: actor.label, actor } },
      ]);
      const recomputed = await this.recomputer.recompute(runner, workspaceId, [survivor.id], settings);
      const [row] = await rows<MergeRow>(runner, `SELECT id, winner_id, loser_id, reason, created_at, undone_at FROM merges WHERE id = $1`, [mergeId]);
      return { merge: toMergeView(row!), recomputed };
    });
    await this.changes.publish({ workspaceId, profileIds: [outcome.merge.winnerId], mergedAway: [outcome.merge.loserId], recomputed: outcome.recomputed });
    return outcome.merge;
  }

  /**
   * Undoes a merge: the merged-away profile lives again with exactly the identities, source records,
   * events, consent and account links that came through it (and through profiles merged into it
   * before), wherever later merges had taken them; both profiles' traits are recomputed.
   * Data that arrived after the merge directly on the survivor stays with the survivor.
   */
  async unmerge(workspaceId: string, mergeId: string): Promise<{ restoredProfileId: string; survivorId: string }> {
    const settings = await this.settings.get(workspaceId);
    const outcome = await inTransaction(this.dataSource, async (runner) => {
      await lockWorkspaceProfiles(runner, workspaceId);
      const [merge] = await rows<{ winner_id: string; loser_id: string; undone_at: Date | null; merged_into: string | null }>(
        runner,
        `SELECT m.winner_id, m.loser_id, m.undone_at, p.merged_into FROM merges m JOIN profiles p ON p.id = m.loser_id
         WHERE m.id = $2 AND m.workspace_id = $1`,
        [workspaceId, mergeId],
      );
      if (!merge) throw new ProfileException('MERGE_NOT_FOUND', `merge ${mergeId} does not exist`);
      if (merge.undone_at) throw new ProfileException('MERGE_ALREADY_UNDONE', `merge ${mergeId} was already undone`);
      if (merge.merged_into !== merge.winner_id) {
        throw new ProfileException('MERGE_NOT_UNDOABLE', `profile ${merge.loser_id} is no longer merged into ${merge.winner_id}`);
      }
      const loser = merge.loser_id;
      const [{ id: survivor }] = await rows<{ id: string }>(
        runner,
        `WITH RECURSIVE chain AS (
           SELECT id, merged_into FROM profiles WHERE id = $1
           UNION ALL SELECT p.id, p.merged_into FROM profiles p JOIN chain c ON p.id = c.merged_into
         ) SELECT id FROM chain WHERE merged_into IS NULL`,
        [merge.winner_id],
      ) as [{ id: string }];
      const [{ ids: subtree }] = (await rows<{ ids: string[] }>(
        runner,
        `WITH RECURSIVE tree AS (
           SELECT id FROM profiles WHERE id = $1
           UNION ALL SELECT p.id FROM profiles p JOIN tree t ON p.merged_into = t.id
         ) SELECT array_agg(id) AS ids FROM tree`,
        [loser],
      )) as [{ ids: string[] }];

      await lockProfileRows(runner, [survivor, loser]);
      for (const [table, column, origin] of [
        ['identities', 'profile_id', 'origin_profile_id'],
        ['source_records', 'profile_id', 'origin_profile_id'],
        ['events', 'profile_id', 'origin_profile_id'],
        ['consents', 'profile_id', 'origin_profile_id'],
        ['consent_changes', 'profile_id', 'origin_profile_id'],
        ['account_links', 'person_id', 'origin_person_id'],
        ['account_links', 'account_id', 'origin_account_id'],
      ] as const) {
        await runner.query(
          `UPDATE ${table} SET ${column} = $3 WHERE workspace_id = $1 AND ${column} = $2 AND ${origin} = ANY($4::uuid[])`,
          [workspaceId, survivor, loser, subtree],
        );
      }
      await runner.query(`UPDATE profiles SET merged_into = NULL, updated_at = now() WHERE id = $1`, [loser]);
      await runner.query(`UPDATE merges SET undone_at = now() WHERE id = $1`, [mergeId]);
      const recomputed = await this.recomputer.recompute(runner, workspaceId, [survivor, loser], settings);
      return { restoredProfileId: loser, survivorId: survivor, recomputed };
    });
    const { recomputed, ...restored } = outcome;
    await this.changes.publish({ workspaceId, profileIds: [restored.survivorId, restored.restoredProfileId], mergedAway: [], recomputed });
    return restored;
  }
}

/** The surviving profile of `id` in the workspace (with its kind), read in the merging transaction. */
async function survivorIn(runner: QueryRunner, workspaceId: string, id: string): Promise<{ id: string; kind: 'person' | 'account' } | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await rows<{ id: string; kind: 'person' | 'account' }>(
    runner,
    `WITH RECURSIVE chain AS (
       SELECT id, kind, merged_into, 0 AS depth FROM profiles WHERE id = $2 AND workspace_id = $1
       UNION ALL SELECT p.id, p.kind, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < 1000
     ) SELECT id, kind FROM chain WHERE merged_into IS NULL`,
    [workspaceId, id],
  );
  return row;
}
