import type { Command } from 'commander';
import { TypologyException, TypologyService, type TypologyDistribution, type TypologyRun } from '@portrait/core';
import { auditCli, fail, readJsonFile, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait typology show|settings|recompute`: the customer typology of a workspace through the same
 * service as the management API — how many people have each typology, the thresholds of the rules
 * (printed, or replaced from a JSON file), and a classification of every profile now.
 */
export function registerTypologyCommands(program: Command): void {
  const typology = program.command('typology').description('customer typology: need-based, deal-based, impulsive, loyal');

  typology
    .command('show')
    .description('how many people of the workspace have each typology')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        printDistribution(await app.get(TypologyService).distribution(workspace.id));
      });
    });

  typology
    .command('settings')
    .description('print the thresholds in force as JSON ({"settings", "own"}); with --file, replace the workspace\'s own and classify every profile with them')
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--file <typology.json>', 'the workspace\'s own thresholds, e.g. {"dealBased": {"minDealShare": 0.6}} (a field left out takes its default; {} for every default)')
    .action(async (options: { workspace: string; file?: string }) => {
      const input = options.file === undefined ? undefined : readJsonFile(options.file);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const service = app.get(TypologyService);
        if (input === undefined) {
          console.log(JSON.stringify(await service.settings(workspace.id), null, 2));
          return;
        }
        let changed: Awaited<ReturnType<TypologyService['replaceSettings']>>;
        try {
          changed = await service.replaceSettings(workspace.id, input);
        } catch (error) {
          if (error instanceof TypologyException && error.errors.length) fail(`invalid typology settings in ${options.file}:\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
          throw error;
        }
        await auditCli(app, { workspaceId: workspace.id, action: 'typology.settings.replace', target: { type: 'workspace', id: workspace.id } });
        console.log(`typology settings of ${workspace.slug} replaced: ${JSON.stringify(changed.own)}`);
        printRun(changed.run);
        printDistribution(changed.distribution);
      });
    });

  typology
    .command('recompute')
    .description('classify every profile of the workspace now; each change is a profile.updated webhook event')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const { run, distribution } = await app.get(TypologyService).recompute(workspace.id);
        await auditCli(app, { workspaceId: workspace.id, action: 'typology.recompute', target: { type: 'workspace', id: workspace.id } });
        printRun(run);
        printDistribution(distribution);
      });
    });
}

function printRun(run: TypologyRun): void {
  console.log(`classified ${run.evaluated} profiles: ${run.changed} changed typology (${run.durationMs} ms)`);
}

/** One line per typology, its people and their share: `loyal        12   30.0%`. */
function printDistribution(distribution: TypologyDistribution): void {
  for (const [typology, n] of Object.entries(distribution.counts)) {
    const share = distribution.total ? ((n / distribution.total) * 100).toFixed(1) : '0.0';
    console.log(`${typology.padEnd(13)}${String(n).padStart(8)}${share.padStart(8)}%`);
  }
  console.log(`${'total'.padEnd(13)}${String(distribution.total).padStart(8)}`);
}
