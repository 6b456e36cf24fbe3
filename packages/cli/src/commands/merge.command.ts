import type { Command } from 'commander';
import { AuditLogService, isUuid, MergesService, Profile360Service, ProfilesService, type MergeView } from '@portrait/core';
import { cliActor, fail, requireWorkspace, withCore } from './with-core.js';

/** `portrait merge list|profiles|undo`: the merge log of a profile, merging two profiles by hand, and undoing a merge (the services of the management API). */
export function registerMergeCommands(program: Command): void {
  const merge = program.command('merge').description('profile merges');

  merge
    .command('list')
    .description('the merges a profile took part in, newest first')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--profile <id>', 'the profile id')
    .action(async (options: { workspace: string; profile: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        if (!(await app.get(ProfilesService).resolveId(workspace.id, options.profile))) fail(`profile ${options.profile} does not exist in workspace ${workspace.slug}`);
        const merges = await app.get(MergesService).list(workspace.id, { profileId: options.profile, limit: 500 });
        await app.get(AuditLogService).record({ workspaceId: workspace.id, actor: cliActor(), action: 'profile.merges.read', target: { type: 'profile', id: options.profile } });
        for (const m of merges) console.log(formatMerge(m));
      });
    });

  merge
    .command('profiles <profile>')
    .description('merge a profile (an id, or type:value of one of its identifiers) into the survivor you pick; logged with you as its reason, undoable')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--survivor <profile>', 'the profile to keep (an id, or type:value)')
    .action(async (reference: string, options: { workspace: string; survivor: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const profiles = app.get(Profile360Service);
        const [survivorId, mergedId] = [await profiles.resolve(workspace.id, options.survivor), await profiles.resolve(workspace.id, reference)];
        const actor = cliActor();
        const merged = await app.get(MergesService).merge(workspace.id, survivorId, mergedId, { label: actor.label, via: 'cli' });
        await app.get(AuditLogService).record({ workspaceId: workspace.id, actor, action: 'merge.create', target: { type: 'merge', id: merged.id } });
        console.log(`merged profile ${merged.loserId} into ${merged.winnerId}: merge ${merged.id} (undo: pnpm portrait merge undo --workspace ${workspace.slug} ${merged.id})`);
      });
    });

  merge
    .command('undo <mergeId>')
    .description('undo a merge: the merged-away profile lives again')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (mergeId: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        if (!isUuid(mergeId)) fail(`merge ${mergeId} does not exist`);
        const undone = await app.get(MergesService).unmerge(workspace.id, mergeId);
        await app.get(AuditLogService).record({ workspaceId: workspace.id, actor: cliActor(), action: 'merge.undo', target: { type: 'merge', id: mergeId } });
        console.log(`undid merge ${mergeId}: profile ${undone.restoredProfileId} lives again beside ${undone.survivorId}`);
      });
    });
}

function formatMerge(m: MergeView): string {
  const linkedBy = m.reason.actor ? `hand (${m.reason.actor.label})` : m.reason.linkedBy.map((i) => `${i.type}=${i.value}`).join(',');
  return [m.id, m.createdAt, `${m.loserId} into ${m.winnerId}`, `by ${linkedBy}`, m.undoneAt ? `undone ${m.undoneAt}` : 'active'].join('\t');
}
