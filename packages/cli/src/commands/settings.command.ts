import type { Command } from 'commander';
import {
  AuditLogService,
  PROFILE_SETTINGS_PARTS,
  ProfileException,
  ProfileSettingsService,
  RecomputeJobsService,
  type ProfileSettingsPart,
  type ProfileSettingsParts,
  type RecomputeJobView,
} from '@portrait/core';
import { cliActor, fail, readJsonFile, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait settings get|set`: a workspace's profile settings — identity rules (`identity`), trait
 * source precedence (`traitPrecedence`), computed traits (`computedTraits`), retention of events and
 * dead letters (`retention`) — through the same service
 * as the management API. `get` prints the workspace's own settings as JSON, the file `set` takes.
 */
export function registerSettingsCommands(program: Command): void {
  const settings = program.command('settings').description('read and change the profile settings of a workspace');

  settings
    .command('get')
    .description('print the workspace\'s own settings as JSON ({"identity", "traitPrecedence", "computedTraits", "retention"}; null: the defaults)')
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--effective', 'print the rules in force instead, the defaults included')
    .action(async (options: { workspace: string; effective?: boolean }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const service = app.get(ProfileSettingsService);
        const shown = options.effective ? await service.get(workspace.id) : await service.stored(workspace.id);
        console.log(JSON.stringify(Object.fromEntries(PROFILE_SETTINGS_PARTS.map((part) => [part, shown[part] ?? null])), null, 2));
      });
    });

  settings
    .command('set')
    .description('replace the parts of the settings a JSON file holds (null: back to the defaults); a change of precedence or computed traits backfills every profile')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--file <settings.json>', '{"identity"?, "traitPrecedence"?, "computedTraits"?, "retention"?}, as `settings get` prints it')
    .option('--no-wait', 'leave the backfill to the worker instead of running it here')
    .action(async (options: { workspace: string; file: string; wait: boolean }) => {
      const parts = settingsFile(options.file);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        let backfillJobId: string | null;
        try {
          // Checked by the service, field by field.
          ({ backfillJobId } = await app.get(ProfileSettingsService).replace(workspace.id, parts as ProfileSettingsParts));
        } catch (error) {
          const errors = error instanceof ProfileException && error.code === 'INVALID_SETTINGS' ? (error.details?.errors as { path: string; message: string }[] | undefined) : undefined;
          if (errors?.length) fail(`invalid settings in ${options.file}:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
          throw error;
        }
        await app.get(AuditLogService).record({ workspaceId: workspace.id, actor: cliActor(), action: 'settings.replace', target: { type: 'workspace', id: workspace.id } });
        console.log(`settings of ${workspace.slug} changed: ${Object.keys(parts).join(', ')}`);
        if (!backfillJobId) return;
        if (!options.wait) {
          console.log(`backfill ${backfillJobId} queued: the worker recomputes every profile (GET /admin/api/workspaces/${workspace.slug}/jobs/${backfillJobId})`);
          return;
        }
        const bar = process.stdout.isTTY ? progressBar() : undefined;
        const job = await app.get(RecomputeJobsService).run(workspace.id, backfillJobId, bar?.update);
        bar?.end();
        console.log(`backfill ${job.id}: ${job.status}, ${job.processed} profiles recomputed${job.error ? ` (${job.error})` : ''}`);
        if (job.status !== 'succeeded') process.exit(1);
      });
    });
}

function settingsFile(file: string): { [K in ProfileSettingsPart]?: unknown } {
  const content = readJsonFile(file);
  if (typeof content !== 'object' || content === null || Array.isArray(content)) fail(`${file} must hold a JSON object: {${PROFILE_SETTINGS_PARTS.map((part) => `"${part}"?`).join(', ')}}`);
  const unknown = Object.keys(content).filter((key) => !(PROFILE_SETTINGS_PARTS as readonly string[]).includes(key));
  if (unknown.length) fail(`${file}: unknown settings ${unknown.join(', ')} (known: ${PROFILE_SETTINGS_PARTS.join(', ')})`);
  if (Object.keys(content).length === 0) fail(`${file} changes nothing: give one of ${PROFILE_SETTINGS_PARTS.join(', ')}`);
  return content as { [K in ProfileSettingsPart]?: unknown };
}

/** A bar on the terminal: `backfill [#########-----------]  45%  450/1000 profiles`. */
export function progressBar(width = 30): { update: (job: RecomputeJobView) => void; end: () => void } {
  let drawn = false;
  return {
    update(job) {
      const total = job.total ?? 0;
      const share = total ? Math.min(job.processed / total, 1) : job.status === 'succeeded' ? 1 : 0;
      const filled = Math.round(share * width);
      process.stdout.write(`\rbackfill [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  ${job.processed}/${job.total ?? '?'} profiles\u001b[K`);
      drawn = true;
    },
    end() {
      if (drawn) process.stdout.write('\n');
    },
  };
}
