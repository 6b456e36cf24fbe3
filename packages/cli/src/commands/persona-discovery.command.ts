import type { Command } from 'commander';
import { PersonaDiscoveryService, PersonaException, type DiscoveryDraftView, type DiscoveryView, type PersonaView } from '@portrait/core';
import { auditCli, fail, readJsonFile, requireWorkspace, withCore } from './with-core.js';

/** The option of each discovery parameter, to name it in errors. */
const OPTION_OF: Record<string, string> = { minK: '--min-k', maxK: '--max-k', seed: '--seed', sampleSize: '--sample-size' };

/** A whole number as given, or NaN (which the parameters' check refuses, naming the option). */
const integer = (value: string) => (/^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN);

/**
 * `portrait persona discover` and `portrait persona accept`: discovery of draft personas from the
 * workspace's people (k-means, k chosen by silhouette), run in the foreground with a progress bar on
 * stderr (when it is a terminal), and the acceptance of one draft as a persona.
 */
export function registerPersonaDiscoveryCommands(persona: Command, explainInvalid: (write: () => Promise<PersonaView>) => Promise<PersonaView>): void {
  persona
    .command('discover')
    .description('cluster the workspace\'s people into draft personas (k-means over behaviour and demographics, k chosen by silhouette) and print the drafts')
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--min-k <n>', 'the smallest number of clusters tried (default 2)', integer)
    .option('--max-k <n>', 'the largest number of clusters tried (default 8)', integer)
    .option('--seed <n>', 'the seed: the same seed on the same data gives the same drafts (default 1)', integer)
    .option('--sample-size <n>', 'the most people the centroids are fitted on; everyone is then assigned to the nearest (default 20000)', integer)
    .action(async (options: { workspace: string; minK?: number; maxK?: number; seed?: number; sampleSize?: number }) => {
      const params = Object.fromEntries(Object.entries({ minK: options.minK, maxK: options.maxK, seed: options.seed, sampleSize: options.sampleSize }).filter(([, v]) => v !== undefined));
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const discovery = app.get(PersonaDiscoveryService);
        let started: DiscoveryView;
        try {
          started = await discovery.start(workspace.id, params, { inline: false });
        } catch (error) {
          if (error instanceof PersonaException && error.code === 'INVALID_DISCOVERY') fail(`invalid discovery:\n${error.errors.map((e) => `  ${OPTION_OF[e.field] ?? e.field}: ${e.message}`).join('\n')}`);
          throw error;
        }
        await auditCli(app, { workspaceId: workspace.id, action: 'persona.discovery.start', target: { type: 'persona_discovery', id: started.id } });
        const bar = process.stderr.isTTY ? progressBar() : undefined;
        const run = await discovery.run(workspace.id, started.id, bar?.update);
        bar?.end();
        if (run.status !== 'succeeded') fail(`discovery ${run.id} failed: ${run.error ?? 'unknown error'}`);
        console.log(formatDiscovery(run, workspace.slug));
      });
    });

  persona
    .command('accept <discovery-id> <draft-number>')
    .description('accept a draft of a discovery as a persona, as proposed or with edits; every profile is assigned its best persona again')
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--file <edits.json>', 'edits over the draft\'s persona: any of {"name", "key", "summary", "card", "rules", "minScore"}')
    .action(async (discoveryId: string, draftNumber: string, options: { workspace: string; file?: string }) => {
      const number = integer(draftNumber);
      if (!Number.isInteger(number) || number < 1) fail(`draft number must be a whole number from 1, not "${draftNumber}"`);
      const edits = options.file ? readJsonFile(options.file) : {};
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const created = await explainInvalid(() => app.get(PersonaDiscoveryService).accept(workspace.id, discoveryId, number, edits));
        await auditCli(app, { workspaceId: workspace.id, action: 'persona.discovery.accept', target: { type: 'persona', id: created.id } });
        console.log(`created persona ${created.name} (${created.id}) from draft ${number}, key ${created.key}, minimum score ${created.minScore}: ${created.size} profiles assigned`);
      });
    });
}

/** A bar on the terminal's stderr: `discovery [#########---------------]  45%  clustering`. */
function progressBar(width = 30): { update: (run: DiscoveryView) => void; end: () => void } {
  let drawn = false;
  return {
    update(run) {
      const filled = Math.round(Math.min(Math.max(run.progress, 0), 1) * width);
      process.stderr.write(`\rdiscovery [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(run.progress * 100)).padStart(3)}%  ${run.phase ?? run.status}\u001b[K`);
      drawn = true;
    },
    end() {
      if (drawn) process.stderr.write('\n');
    },
  };
}

/** The run's summary, then each draft: size, what it is like, what sets it apart, its rules. */
export function formatDiscovery(run: DiscoveryView, workspaceSlug: string): string {
  const summary = run.summary!;
  const best = summary.silhouettes.find((s) => s.k === summary.k)!;
  const lines = [
    `discovery ${run.id}: ${run.drafts.length} draft personas from ${summary.people} people (k = ${summary.k}, silhouette ${best.silhouette}; fitted on ${summary.sampleSize})`,
    `features: ${summary.features.map((f) => f.label).join(', ')}${summary.dropped.length ? ` (left out: ${summary.dropped.map((d) => `${d.feature}, ${d.reason}`).join('; ')})` : ''}`,
  ];
  for (const draft of run.drafts) lines.push('', ...formatDraft(draft));
  lines.push('', `accept one with: pnpm portrait persona accept --workspace ${workspaceSlug} ${run.id} <draft-number> [--file edits.json]`);
  return lines.join('\n');
}

function formatDraft(draft: DiscoveryDraftView): string[] {
  const sign = (d: number) => (d > 0 ? `+${d}` : String(d));
  return [
    `draft ${draft.number}: ${draft.persona.name} — ${draft.size} people (${Math.round(draft.share * 100)}%)${draft.acceptedPersonaId ? `, accepted as persona ${draft.acceptedPersonaId}` : ''}`,
    `  ${draft.centroid.filter((c) => c.value !== null && (c.share ?? 1) >= 0.5).map((c) => c.text).join('; ')}`,
    `  sets it apart (Cohen's d): ${draft.distinguishing.slice(0, 5).map((d) => `${d.category ? `${d.label} ${d.category}` : d.label} ${sign(d.effectSize)}`).join(', ')}`,
    `  rules (minimum score ${draft.persona.minScore}):`,
    ...draft.persona.rules.map((r) => `    ${r.weight} × ${JSON.stringify(r.condition)}${r.label ? `  (${r.label})` : ''}`),
  ];
}
