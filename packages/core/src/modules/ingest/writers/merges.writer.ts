import type { QueryRunner } from 'typeorm';
import { writeProfileMerges } from '../../profiles/profile-merges.writer.js';
import type { ProfileMerge } from '../steps/plan.step.js';

/**
 * The batch's merges of stored profiles (the profiles module writes them): each logged with the
 * identifiers and the record that linked the two profiles, for its undo.
 */
export async function writeMerges(runner: QueryRunner, workspaceId: string, merges: ProfileMerge[]): Promise<void> {
  await writeProfileMerges(
    runner,
    workspaceId,
    merges.map((m) => ({ winner: m.winner, loser: m.loser, survivor: m.survivor, reason: { linkedBy: m.linkedBy, source: m.source, externalId: m.externalId } })),
  );
}
