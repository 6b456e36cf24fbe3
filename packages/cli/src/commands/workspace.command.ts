import type { Command } from 'commander';
import { WorkspacesService } from '@portrait/core';
import { withCore } from './with-core.js';

export function registerWorkspaceCommands(program: Command): void {
  const workspace = program.command('workspace').description('manage workspaces');

  workspace
    .command('create <slug>')
    .description('create a workspace (slug: lower-case letters, digits and dashes)')
    .option('--name <name>', 'display name (defaults to the slug)')
    .action(async (slug: string, options: { name?: string }) => {
      await withCore(async (app) => {
        const created = await app.get(WorkspacesService).create(slug, options.name ?? slug);
        console.log(`created workspace ${created.slug} (${created.id})`);
      });
    });

  workspace
    .command('list')
    .description('list workspaces')
    .action(async () => {
      await withCore(async (app) => {
        for (const row of await app.get(WorkspacesService).list()) console.log(`${row.slug}\t${row.id}\t${row.name}`);
      });
    });
}
