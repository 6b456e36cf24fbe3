import type { Command } from 'commander';
import { PersonaException, PersonasService, WorkspacesService, type PersonaView } from '@portrait/core';
import { fail, readJsonFile, withCore } from './with-core.js';

/**
 * `portrait persona create|list`: buyer personas of a workspace. A persona is written as JSON (the
 * `personaInputSchema` of `@portrait/core`): name, weighted rules in the segment condition language,
 * and optionally key, summary, card and minScore. Creating one assigns the workspace's profiles again.
 */
export function registerPersonaCommands(program: Command): void {
  const persona = program.command('persona').description('manage buyer personas');

  persona
    .command('create')
    .description('create a persona from a JSON file; every profile of the workspace is assigned its best persona again')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--file <persona.json>', 'the persona: {"name", "rules": [{"condition", "weight", "label"?}], "key"?, "summary"?, "card"?, "minScore"?}')
    .action(async (options: { workspace: string; file: string }) => {
      const input = readJsonFile(options.file);
      await withCore(async (app) => {
        const workspace = await app.get(WorkspacesService).findBySlug(options.workspace);
        if (!workspace) fail(`workspace "${options.workspace}" does not exist`);
        try {
          const created = await app.get(PersonasService).create(workspace.id, input);
          console.log(`created persona ${created.name} (${created.id}), key ${created.key}, minimum score ${created.minScore}: ${created.size} profiles assigned`);
        } catch (error) {
          if (error instanceof PersonaException && error.errors.length) fail(`invalid persona:\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
          throw error;
        }
      });
    });

  persona
    .command('list')
    .description('list the personas of a workspace, oldest first, with how many profiles each has now')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await app.get(WorkspacesService).findBySlug(options.workspace);
        if (!workspace) fail(`workspace "${options.workspace}" does not exist`);
        const personas = app.get(PersonasService);
        for (let cursor: string | undefined, first = true; first || cursor; first = false) {
          const page = await personas.list(workspace.id, { limit: 200, cursor });
          for (const p of page.data) console.log(formatPersona(p));
          cursor = page.nextCursor ?? undefined;
        }
      });
    });
}

function formatPersona(p: PersonaView): string {
  return [p.id, p.key, p.name, `${p.size} profiles`, `min ${p.minScore}`, `${p.rules.length} rules`].join('\t');
}
