import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { inTransaction, lockWorkspaceProfiles, rows } from '../../engine/database/sql.js';
import { ProfileChangesService } from '../profiles/profile-changes.service.js';
import { ProfileException } from '../profiles/profile.exception.js';
import { isUuid, ProfilesService } from '../profiles/profiles.service.js';
import { SegmentsService } from '../segments/segments.service.js';
import { IntakeLogService } from '../intake/intake-log.service.js';
import { SuppressionService } from '../suppression/suppression.service.js';
import { SyncRunsService } from '../sync/sync-runs.service.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';

/** Everything Portrait holds on one person (or account): the answer to a data subject access request. */
export interface ProfileExport {
  profileId: string;
  /** Every profile id that was merged into it (their data is part of this export). */
  mergedProfileIds: string[];
  exportedAt: string;
  profile: Record<string, unknown>;
  identities: Record<string, unknown>[];
  sourceRecords: Record<string, unknown>[];
  traitChanges: Record<string, unknown>[];
  events: Record<string, unknown>[];
  consents: Record<string, unknown>[];
  consentHistory: Record<string, unknown>[];
  accountLinks: Record<string, unknown>[];
  merges: Record<string, unknown>[];
  identityConflicts: Record<string, unknown>[];
}

/** How many rows an erasure removed, per table. */
export type ErasureReport = { profileId: string; erasedProfileIds: string[]; deleted: Record<string, number> };

/**
 * GDPR access and erasure for one profile and every profile merged into it. The export reads the
 * profile core's tables; the erasure asks each module that holds data on the person to delete its
 * own rows, all in one transaction serialized with ingest for the workspace, so a concurrent batch
 * cannot re-attach rows to a profile being erased.
 */
@Injectable()
export class PrivacyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly profiles: ProfilesService,
    private readonly changes: ProfileChangesService,
    private readonly segments: SegmentsService,
    private readonly webhooks: WebhooksService,
    private readonly syncRuns: SyncRunsService,
    private readonly suppression: SuppressionService,
    private readonly intake: IntakeLogService,
  ) {}

  async export(workspaceId: string, id: string): Promise<ProfileExport> {
    const survivor = await this.survivorOf(workspaceId, id);
    return inTransaction(this.dataSource, async (runner) => {
      // One snapshot for every table.
      await runner.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
      const tree = await treeOf(runner, survivor);
      const q = (sql: string) => rows<{ row: Record<string, unknown> }>(runner, sql, [workspaceId, tree]).then((found) => found.map((r) => r.row));
      const [profile] = await q(`SELECT to_jsonb(p) - 'workspace_id' AS row FROM profiles p WHERE p.workspace_id = $1 AND p.id = ($2::uuid[])[1]`);
      return {
        profileId: survivor,
        mergedProfileIds: tree.slice(1),
        exportedAt: new Date().toISOString(),
        profile: profile!,
        identities: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM identities t WHERE t.workspace_id = $1 AND (t.profile_id = ANY($2::uuid[]) OR t.origin_profile_id = ANY($2::uuid[])) ORDER BY t.id`),
        sourceRecords: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM source_records t WHERE t.workspace_id = $1 AND (t.profile_id = ANY($2::uuid[]) OR t.origin_profile_id = ANY($2::uuid[])) ORDER BY t.source, t.external_id`),
        traitChanges: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM trait_changes t WHERE t.workspace_id = $1 AND t.profile_id = ANY($2::uuid[]) ORDER BY t.id`),
        events: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM events t WHERE t.workspace_id = $1 AND (t.profile_id = ANY($2::uuid[]) OR t.origin_profile_id = ANY($2::uuid[])) ORDER BY t.occurred_at, t.id`),
        consents: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM consents t WHERE t.workspace_id = $1 AND (t.profile_id = ANY($2::uuid[]) OR t.origin_profile_id = ANY($2::uuid[])) ORDER BY t.purpose, t.source`),
        consentHistory: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM consent_changes t WHERE t.workspace_id = $1 AND (t.profile_id = ANY($2::uuid[]) OR t.origin_profile_id = ANY($2::uuid[])) ORDER BY t.purpose, t.at DESC, t.source`),
        accountLinks: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM account_links t WHERE t.workspace_id = $1 AND (t.person_id = ANY($2::uuid[]) OR t.account_id = ANY($2::uuid[]) OR t.origin_person_id = ANY($2::uuid[]) OR t.origin_account_id = ANY($2::uuid[]))`),
        merges: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM merges t WHERE t.workspace_id = $1 AND (t.winner_id = ANY($2::uuid[]) OR t.loser_id = ANY($2::uuid[])) ORDER BY t.created_at`),
        identityConflicts: await q(`SELECT to_jsonb(t) - 'workspace_id' AS row FROM identity_conflicts t WHERE t.workspace_id = $1 AND t.kept_profile_id = ANY($2::uuid[]) ORDER BY t.id`),
      };
    });
  }

  /**
   * Erases the profile and every profile merged into it: what the profile core holds (profiles —
   * with their persona assignment —, identities, source records, trait changes, events, consents,
   * account links, the linked accounts themselves staying, merges, identity conflicts), segment
   * memberships and their log, webhook deliveries about them, and dead letters holding one of their
   * identity values. Data arriving later with the same identifiers makes a new profile.
   */
  async erase(workspaceId: string, id: string): Promise<ErasureReport> {
    const report = await inTransaction(this.dataSource, async (runner) => {
      await lockWorkspaceProfiles(runner, workspaceId);
      const survivor = await this.survivorOf(workspaceId, id, runner);
      const tree = await treeOf(runner, survivor);
      // Read before the profile core deletes the identities: how refused records are recognized, and
      // what is suppressed so that no source brings the person back.
      const identities = await this.profiles.identitiesIn(runner, workspaceId, tree);
      const identityValues = identities.map((i) => i.value);
      await this.suppression.suppressIn(runner, workspaceId, identities);
      const deleted: Record<string, number> = {
        ...(await this.segments.eraseProfilesIn(runner, workspaceId, tree)),
        ...(await this.webhooks.eraseProfilesIn(runner, workspaceId, tree)),
        ...(await this.syncRuns.eraseDeadLettersIn(runner, workspaceId, identityValues)),
        ...(await this.intake.eraseIn(runner, workspaceId, identityValues)),
        // Last: the profiles themselves, once nothing else is kept on them.
        ...(await this.profiles.eraseIn(runner, workspaceId, tree)),
      };
      return { profileId: survivor, erasedProfileIds: tree, deleted };
    });
    await this.changes.publish({ workspaceId, profileIds: [], mergedAway: report.erasedProfileIds });
    return report;
  }

  private async survivorOf(workspaceId: string, id: string, runner?: QueryRunner): Promise<string> {
    const survivor = runner ? await resolveIn(runner, workspaceId, id) : await this.profiles.resolveId(workspaceId, id);
    if (!survivor) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    return survivor;
  }
}

/** The profile first, then every profile merged into it, transitively. */
async function treeOf(runner: QueryRunner, root: string): Promise<string[]> {
  const found = await rows<{ id: string }>(
    runner,
    `WITH RECURSIVE tree AS (
       SELECT id, 0 AS depth FROM profiles WHERE id = $1
       UNION ALL SELECT p.id, t.depth + 1 FROM profiles p JOIN tree t ON p.merged_into = t.id
     ) SELECT id FROM tree ORDER BY depth, id`,
    [root],
  );
  return found.map((r) => r.id);
}

/** resolveId inside the erasing transaction (after the lock, so that no merge moves it meanwhile). */
async function resolveIn(runner: QueryRunner, workspaceId: string, id: string): Promise<string | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await rows<{ id: string }>(
    runner,
    `WITH RECURSIVE chain AS (
       SELECT id, merged_into, 0 AS depth FROM profiles WHERE id = $2 AND workspace_id = $1
       UNION ALL SELECT p.id, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < 1000
     ) SELECT id FROM chain WHERE merged_into IS NULL`,
    [workspaceId, id],
  );
  return row?.id;
}
