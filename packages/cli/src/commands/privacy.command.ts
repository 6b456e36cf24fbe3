import type { Command } from 'commander';
import { ProfileSettingsService, RetentionService, SuppressionService } from '@portrait/core';
import { eraseProfile } from './profile.command.js';
import { auditCli, fail, requireWorkspace, withCore } from './with-core.js';

/** `type:value` of an identifier, e.g. `email:ana@example.org`. */
function identityOf(reference: string): { type: string; value: string } {
  const at = reference.indexOf(':');
  if (at <= 0 || at === reference.length - 1) fail(`--identity must be type:value, e.g. email:ana@example.org (got "${reference}")`);
  return { type: reference.slice(0, at), value: reference.slice(at + 1) };
}

/**
 * `portrait privacy erase|suppressions|unsuppress|retention`: the right to erasure by an identifier,
 * the suppression list it feeds (the management API's privacy routes), and the retention of events
 * and dead letters (set with `settings set`, part `retention`).
 */
export function registerPrivacyCommands(program: Command): void {
  const privacy = program.command('privacy').description('erasure and the suppression list of erased people');

  privacy
    .command('erase')
    .description('erase the person an identifier names, and every profile merged into it, from every table; their identifiers are suppressed from then on (irreversible)')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--identity <type:value>', 'an identifier of the person, e.g. email:ana@example.org')
    .action(async (options: { workspace: string; identity: string }) => {
      identityOf(options.identity);
      await withCore((app) => eraseProfile(app, options.workspace, options.identity));
    });

  privacy
    .command('suppressions')
    .description('how many identifiers of erased people the ingest refuses, per type (the values are not kept in clear)')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const counts = await app.get(SuppressionService).counts((await requireWorkspace(app, options.workspace)).id);
        for (const [type, n] of Object.entries(counts.byType)) console.log(`${type}\t${n}`);
        console.log(`${counts.total} suppressed identifier${counts.total === 1 ? '' : 's'}`);
      });
    });

  privacy
    .command('unsuppress')
    .description('lift the suppression of one identifier: the next fact carrying it is ingested again')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--identity <type:value>', 'the identifier, e.g. email:ana@example.org')
    .action(async (options: { workspace: string; identity: string }) => {
      const identity = identityOf(options.identity);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        await app.get(SuppressionService).lift(workspace.id, identity);
        await auditCli(app, { workspaceId: workspace.id, action: 'suppression.lift', target: { type: 'suppression' } });
        console.log(`lifted: ${identity.type} ${identity.value} is ingested again`);
      });
    });

  privacy
    .command('retention')
    .description('print the retention of events and dead letters (set it with `settings set`, part "retention"); --apply deletes what is older now instead of at the worker\'s daily pass')
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--apply', 'delete the events and dead letters older than the retention now, and recompute the profiles that lost events')
    .action(async (options: { workspace: string; apply?: boolean }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const { retention } = await app.get(ProfileSettingsService).get(workspace.id);
        console.log(`events are kept ${retention.eventsMonths} months, dead letters ${retention.deadLettersMonths} months`);
        if (!options.apply) return;
        const report = await app.get(RetentionService).apply(workspace.id);
        await auditCli(app, { workspaceId: workspace.id, action: 'retention.apply', target: { type: 'workspace', id: workspace.id } });
        console.log(`deleted ${report.eventsDeleted} events before ${report.eventsBefore}, ${report.deadLettersDeleted + report.intakeDeadLettersDeleted} dead letters before ${report.deadLettersBefore}; ${report.profilesRecomputed} profiles recomputed`);
      });
    });
}
