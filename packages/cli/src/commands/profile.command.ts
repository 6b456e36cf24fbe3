import type { INestApplicationContext } from '@nestjs/common';
import type { Command } from 'commander';
import { PrivacyService, Profile360Service, ProfileListingService, type ProfileView } from '@portrait/core';
import { auditCli, fail, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait profile show|search|export|erase`: a person (or account) of a workspace, named by its
 * profile id or by `type:value` of one of its identifiers — the services of the management API's
 * profile routes, each read of personal data and each erasure written to the audit log.
 */
export function registerProfileCommands(program: Command): void {
  const profile = program.command('profile').description('people and accounts: the profile 360, search, data export, erasure');

  profile
    .command('show <profile>')
    .description('the profile 360 as JSON: identities, traits with their source, computed traits, consent, newest events, segments, persona, trait changes, merges')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const profile360 = app.get(Profile360Service);
        const shown = await profile360.get(workspace.id, await profile360.resolve(workspace.id, reference));
        await auditCli(app, { workspaceId: workspace.id, action: 'profile.read', target: { type: 'profile', id: shown.profile.id } });
        console.log(JSON.stringify(shown, null, 2));
      });
    });

  profile
    .command('search')
    .description('live profiles whose first and last name (or name) hold a text, case-insensitively; one line each: id, name, identities')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--name <text>', 'the text to find')
    .option('--limit <n>', 'at most this many (1 to 200)', '50')
    .action(async (options: { workspace: string; name: string; limit: string }) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) fail('--limit must be a whole number from 1 to 200');
      if (!options.name.trim()) fail('--name must not be empty');
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const page = await app.get(ProfileListingService).list(workspace.id, { name: options.name, limit });
        await auditCli(app, { workspaceId: workspace.id, action: 'profile.search', target: { type: 'workspace', id: workspace.id } });
        for (const p of page.data) console.log(formatProfile(p));
        if (page.nextCursor) console.log(`(more than ${limit}: narrow the search or raise --limit)`);
      });
    });

  profile
    .command('export <profile>')
    .description('everything held on a person (and on every profile merged into it) as JSON: a data subject access request')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const id = await app.get(Profile360Service).resolve(workspace.id, reference);
        const exported = await app.get(PrivacyService).export(workspace.id, id);
        await auditCli(app, { workspaceId: workspace.id, action: 'profile.export', target: { type: 'profile', id } });
        console.log(JSON.stringify(exported, null, 2));
      });
    });

  profile
    .command('erase <profile>')
    .description('erase a person and every profile merged into it from every table (right to erasure); irreversible')
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--yes', 'confirm: the erasure cannot be undone')
    .action(async (reference: string, options: { workspace: string; yes?: boolean }) => {
      if (!options.yes) fail('erasing a person cannot be undone: add --yes to confirm');
      await withCore((app) => eraseProfile(app, options.workspace, reference));
    });
}

/**
 * Erases a person (by profile id or `type:value`) and every profile merged into it, audited, and
 * prints what went per table; its identifiers are suppressed from then on. `profile erase` and
 * `privacy erase` both come here.
 */
export async function eraseProfile(app: INestApplicationContext, slug: string, reference: string): Promise<void> {
  const workspace = await requireWorkspace(app, slug);
  const id = await app.get(Profile360Service).resolve(workspace.id, reference);
  const report = await app.get(PrivacyService).erase(workspace.id, id);
  await auditCli(app, { workspaceId: workspace.id, action: 'profile.erase', target: { type: 'profile', id: report.profileId } });
  const rows = Object.entries(report.deleted).filter(([, n]) => n > 0);
  console.log(`erased profile ${report.profileId} (${report.erasedProfileIds.length} profiles with those merged into it): ${rows.map(([table, n]) => `${n} ${table}`).join(', ')}`);
  console.log('its identifiers are suppressed: no source brings them back (lift one with `pnpm portrait privacy unsuppress`)');
}

function formatProfile(p: ProfileView): string {
  const name = [p.traits.first_name, p.traits.last_name].filter((part) => typeof part === 'string').join(' ') || (typeof p.traits.name === 'string' ? p.traits.name : '');
  return [p.id, name, p.identities.map((i) => `${i.type}:${i.value}`).join(',')].join('\t');
}
