import type { INestApplicationContext } from '@nestjs/common';
import type { Command } from 'commander';
import { isUuid, PersonaException, PersonasService, type PersonaView } from '@portrait/core';
import { registerPersonaDiscoveryCommands } from './persona-discovery.command.js';
import { auditCli, fail, readJsonFile, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait persona create|list|show|update|delete|discover|accept`: buyer personas of a workspace. A persona is
 * written as JSON (the `personaInputSchema` of `@portrait/core`): name, weighted rules in the segment
 * condition language, and optionally key, summary, card and minScore. Creating, changing or deleting
 * one assigns the workspace's profiles again. A persona is named by its id or its key. `discover` and
 * `accept` propose draft personas from the workspace's people (`persona-discovery.command.ts`).
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
        const workspace = await requireWorkspace(app, options.workspace);
        const created = await explainInvalid(() => app.get(PersonasService).create(workspace.id, input));
        await audit(app, workspace.id, 'persona.create', created.id);
        console.log(`created persona ${created.name} (${created.id}), key ${created.key}, minimum score ${created.minScore}: ${created.size} profiles assigned`);
      });
    });

  persona
    .command('list')
    .description('list the personas of a workspace, oldest first, with how many profiles each has now')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const personas = app.get(PersonasService);
        for (let cursor: string | undefined, first = true; first || cursor; first = false) {
          const page = await personas.list(workspace.id, { limit: 200, cursor });
          for (const p of page.data) console.log(formatPersona(p));
          cursor = page.nextCursor ?? undefined;
        }
      });
    });

  persona
    .command('show <persona>')
    .description('a persona (its id or key) as JSON: card, rules, minimum score, size')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        console.log(JSON.stringify(await find(app, workspace.id, reference), null, 2));
      });
    });

  persona
    .command('update <persona>')
    .description('replace a persona (its id or key) with a JSON file, as for create; every profile is assigned its best persona again')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--file <persona.json>', 'the whole persona, as for create (the key stays unless the file gives one)')
    .action(async (reference: string, options: { workspace: string; file: string }) => {
      const input = readJsonFile(options.file);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const current = await find(app, workspace.id, reference);
        const updated = await explainInvalid(() => app.get(PersonasService).update(workspace.id, current.id, input));
        await audit(app, workspace.id, 'persona.update', updated.id);
        console.log(`updated persona ${updated.name} (${updated.id}), key ${updated.key}, minimum score ${updated.minScore}: ${updated.size} profiles assigned`);
      });
    });

  persona
    .command('delete <persona>')
    .description('delete a persona (its id or key); its profiles get their next best persona, or none')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const current = await find(app, workspace.id, reference);
        await app.get(PersonasService).delete(workspace.id, current.id);
        await audit(app, workspace.id, 'persona.delete', current.id);
        console.log(`deleted persona ${current.name} (${current.id})`);
      });
    });

  registerPersonaDiscoveryCommands(persona, explainInvalid);
}

/** A persona by its id or its key. */
function find(app: INestApplicationContext, workspaceId: string, reference: string): Promise<PersonaView> {
  const personas = app.get(PersonasService);
  return isUuid(reference) ? personas.get(workspaceId, reference) : personas.getByKey(workspaceId, reference);
}

/** Runs a create or update, printing an invalid persona's errors field by field. */
async function explainInvalid(write: () => Promise<PersonaView>): Promise<PersonaView> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof PersonaException && error.errors.length) fail(`invalid persona:\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
    throw error;
  }
}

function audit(app: INestApplicationContext, workspaceId: string, action: string, personaId: string): Promise<void> {
  return auditCli(app, { workspaceId, action, target: { type: 'persona', id: personaId } });
}

function formatPersona(p: PersonaView): string {
  return [p.id, p.key, p.name, `${p.size} profiles`, `min ${p.minScore}`, `${p.rules.length} rules`].join('\t');
}
