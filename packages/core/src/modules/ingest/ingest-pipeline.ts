import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { disableJit, lockWorkspaceProfiles } from '../../engine/database/sql.js';
import { IdentityNormalizer } from '../identity/identity-normalizer.js';
import { ProfileRecomputeService } from '../profiles/profile-recompute.service.js';
import { ProfileSettingsService } from '../profiles/profile-settings.service.js';
import { SuppressionService } from '../suppression/suppression.service.js';
import { ingestResult, type IngestResult } from './ingest-result.js';
import { planBatch } from './steps/plan.step.js';
import { prepareFacts } from './steps/prepare.step.js';
import { resolveKnownProfiles } from './steps/resolve.step.js';
import { writeAccountLinks } from './writers/account-links.writer.js';
import { writeConsents } from './writers/consents.writer.js';
import { writeEvents } from './writers/events.writer.js';
import { writeIdentities } from './writers/identities.writer.js';
import { writeIdentityConflicts } from './writers/identity-conflicts.writer.js';
import { writeMerges } from './writers/merges.writer.js';
import { writeProfiles } from './writers/profiles.writer.js';
import { writeSourceRecords } from './writers/source-records.writer.js';

/**
 * The writes of an ingest batch, in the caller's transaction. A batch costs a constant number of
 * statements whatever its size: validate and normalize in memory; then, serialized per workspace,
 * look up the identities and records it mentions, resolve identities in memory, and write profiles,
 * merges, identities, records, events, consent and account links with set-based statements, and
 * queue the profiles that changed — whose traits `IngestService.complete` recomputes once the
 * transaction committed (and the lock is free for the next batch).
 */
@Injectable()
export class IngestPipeline {
  constructor(
    private readonly settingsService: ProfileSettingsService,
    private readonly recomputer: ProfileRecomputeService,
    private readonly suppression: SuppressionService,
  ) {}

  /**
   * Runs the steps of a batch in `runner`'s transaction. The caller commits, then hands the result to
   * `IngestService.complete`: `IngestService.ingestWithin` does all of that, and every caller goes
   * through it. Alone, this serves to test a process that stops between them.
   */
  async run(runner: QueryRunner, workspaceId: string, inputs: unknown[]): Promise<IngestResult> {
    const settings = await this.settingsService.get(workspaceId, runner.manager);
    const prepared = prepareFacts(inputs, new IdentityNormalizer(settings.identity));
    const result = ingestResult(workspaceId, inputs.length, prepared.rejections, prepared.warnings);
    if (prepared.entries.length === 0) return result;

    await lockWorkspaceProfiles(runner, workspaceId);
    await disableJit(runner);

    // 0. Facts of erased people stay out: checked under the lock, which an erasure takes too.
    const suppressed = await this.suppression.suppressedIn(runner, workspaceId, prepared.entries.map((e) => e.identities));
    const entries = suppressed.size ? prepared.entries.filter((_, i) => !suppressed.has(i)) : prepared.entries;
    result.suppressed = suppressed.size;
    if (entries.length === 0) return result;

    // 1. What the database already knows about this batch's identities and records.
    const known = await resolveKnownProfiles(runner, workspaceId, entries);
    // 2. Identity resolution, in memory.
    const plan = planBatch(settings.identity, known, entries);

    const changed = new Set<string>();
    const touched = (profileIds: string[]) => {
      for (const id of profileIds) changed.add(id);
    };
    // 3. New profiles: groups created in this batch that did not fold into another.
    await writeProfiles(runner, workspaceId, plan.created);
    touched(plan.created.map((p) => p.id));
    result.created = plan.created.length;
    // 4. Merges of existing profiles: the loser points at its winner; its rows move to the final survivor.
    await writeMerges(runner, workspaceId, plan.merges);
    touched(plan.merges.map((m) => m.survivor));
    result.merged = plan.merges.length;
    result.change.mergedAway = plan.merges.map((m) => m.loser);
    // 5. Identities attached in this batch.
    touched(await writeIdentities(runner, workspaceId, plan.attached));
    // 6. Source records, one row per record key, observations merged per trait by time.
    touched(await writeSourceRecords(runner, workspaceId, entries, plan.place));
    // 7. Events, deduplicated per source by dedupe key.
    const events = await writeEvents(runner, workspaceId, entries, plan.place);
    touched(events.profileIds);
    result.eventsInserted = events.inserted;
    result.eventsDeduplicated = events.deduplicated;
    // 8. Consent: the latest statement per profile, purpose and source.
    touched(await writeConsents(runner, workspaceId, entries, plan.place));
    // 9. People ↔ accounts.
    touched(await writeAccountLinks(runner, workspaceId, entries, plan.place));
    // 10. Conflicts, for the admin to review.
    await writeIdentityConflicts(runner, workspaceId, plan.conflicts);
    result.conflicts = plan.conflicts.length;

    // 11. Traits and computed traits of what changed: queued here, recomputed after commit (`complete`).
    const changedIds = [...changed];
    result.pendingRecompute = await this.recomputer.queue(runner, workspaceId, changedIds);
    const createdIds = new Set(plan.created.map((p) => p.id));
    result.updated = changedIds.filter((id) => !createdIds.has(id)).length;
    result.change.profileIds = changedIds;
    return result;
  }
}
