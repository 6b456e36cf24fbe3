import type { INestApplicationContext } from '@nestjs/common';
import type { Command } from 'commander';
import {
  AuditLogService,
  DeadLetterRetryService,
  InvalidSourceConfigException,
  PortraitException,
  SourcesService,
  SyncRunsService,
  SyncService,
  WorkspacesService,
  type SourceView,
  type SyncProgress,
  type SyncRunView,
} from '@portrait/core';
import { cliActor, fail, withCore } from './with-core.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `portrait sync <sourceId|connectorId>`: runs one sync in the foreground (progress per stream on
 * stderr when it is a terminal) and prints the run's summary; and `portrait source
 * create|list|check|enable|disable|dead-letters|retry` (the services of the management API's source routes).
 */
export function registerSyncCommands(program: Command): void {
  program
    .command('sync <source>')
    .description('sync a source now, in the foreground (a source id, or a connector id when the workspace has one source of it)')
    .option('--full', 'read everything again instead of continuing from the last checkpoint')
    .option('--workspace <slug>', 'the workspace of the source')
    .action(async (target: string, options: { full?: boolean; workspace?: string }) => {
      const run = await withCore(async (app) => {
        const source = await findSource(app, target, options.workspace);
        const sync = app.get(SyncService);
        const progress = process.stderr.isTTY ? progressLine() : undefined;
        // Ctrl-C stops the run at its next message: it is recorded as cancelled and the next sync resumes from its checkpoints.
        const interrupt = () => {
          process.stderr.write('\nstopping the sync at its next batch (Ctrl-C again to quit at once)…\n');
          process.once('SIGINT', () => process.exit(130));
          void sync.stopLocalRuns();
        };
        process.once('SIGINT', interrupt);
        try {
          const outcome = await sync.sync(source.id, { workspaceId: source.workspaceId, mode: options.full ? 'full' : 'incremental', onProgress: progress?.update });
          progress?.end();
          if (!outcome.started && outcome.reason === 'already_running') {
            fail(`a sync of source ${source.name} (${source.id}) is already running${outcome.runningRunId ? ` (run ${outcome.runningRunId})` : ''}`);
          }
          if (!outcome.started) fail(`the sync of source ${source.name} (${source.id}) was cancelled before it started`);
          return outcome.run;
        } finally {
          process.removeListener('SIGINT', interrupt);
        }
      });
      console.log(summary(run));
      if (run.status !== 'succeeded') process.exit(1);
    });

  const source = program.command('source').description('manage sources');
  source
    .command('create')
    .description('create a source of a workspace from a connector and its configuration (JSON)')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--connector <id>', 'the connector id, e.g. csv')
    .requiredOption('--name <name>', 'a name unique in the workspace')
    .requiredOption('--config <json>', 'the configuration, as JSON')
    .option('--schedule <cron>', "cron expression (defaults to the connector's schedule)")
    .option('--disabled', 'create it disabled')
    .action(async (options: { workspace: string; connector: string; name: string; config: string; schedule?: string; disabled?: boolean }) => {
      let config: unknown;
      try {
        config = JSON.parse(options.config);
      } catch {
        // No example here: a config that parses is not yet a valid one. Each connector documents its own.
        fail(`--config must be a JSON object: the ${options.connector} connector's configuration (see its README, e.g. plugins/csv/README.md)`);
      }
      await withCore(async (app) => {
        const workspaceId = await workspaceIdOf(app, options.workspace);
        try {
          const created = await app
            .get(SourcesService)
            .create(workspaceId, { connectorId: options.connector, name: options.name, config, schedule: options.schedule, enabled: !options.disabled });
          console.log(`created source ${created.name} (${created.id}), connector ${created.connectorId}, schedule "${created.schedule}"`);
        } catch (error) {
          if (error instanceof InvalidSourceConfigException) fail(`invalid source:\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
          throw error;
        }
      });
    });

  source
    .command('list')
    .description('list the sources of a workspace')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        for (const s of await app.get(SourcesService).list(await workspaceIdOf(app, options.workspace))) {
          console.log(`${s.id}\t${s.connectorId}\t${s.name}\t${s.enabled ? 'enabled' : 'disabled'}\t${s.status}\t${s.schedule}`);
        }
      });
    });

  source
    .command('check <source>')
    .description("test a source's connection with its stored configuration (a source id, or a connector id when the workspace has one source of it)")
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (target: string, options: { workspace: string }) => {
      const result = await withCore(async (app) => {
        const found = await findSource(app, target, options.workspace);
        const checked = await app.get(SourcesService).check(found.workspaceId, found.id);
        await audit(app, found, 'source.check');
        return { source: found, checked };
      });
      if (!result.checked.ok) fail(`source ${result.source.name} (${result.source.id}): the connection failed: ${result.checked.reason}`);
      console.log(`source ${result.source.name} (${result.source.id}): the connection works`);
    });

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    source
      .command(`${verb} <source>`)
      .description(enabled ? 'sync a source on its schedule again' : 'stop the scheduled syncs of a source (a sync can still be run by hand)')
      .requiredOption('--workspace <slug>', 'the workspace')
      .action(async (target: string, options: { workspace: string }) => {
        await withCore(async (app) => {
          const found = await findSource(app, target, options.workspace);
          const sources = app.get(SourcesService);
          const changed = enabled ? await sources.enable(found.workspaceId, found.id) : await sources.disable(found.workspaceId, found.id);
          await audit(app, found, `source.${verb}`);
          console.log(`source ${changed.name} (${changed.id}) ${enabled ? 'enabled' : 'disabled'}`);
        });
      });
  }

  /** A command on one run of a source (`--run`, or its latest run with dead letters), audited as the management API audits the same route. */
  const onRun = (name: string, description: string, action: string, work: (app: INestApplicationContext, source: SourceView, runId: string) => Promise<void>) =>
    source
      .command(`${name} <source>`)
      .description(`${description} (the source's latest run that has any, or --run)`)
      .requiredOption('--workspace <slug>', 'the workspace')
      .option('--run <runId>', 'a run of the source')
      .action(async (target: string, options: { workspace: string; run?: string }) => {
        await withCore(async (app) => {
          const found = await findSource(app, target, options.workspace);
          const runId = await runWithDeadLetters(app, found, options.run);
          await work(app, found, runId);
          await app.get(AuditLogService).record({ workspaceId: found.workspaceId, actor: cliActor(), action, target: { type: 'sync_run', id: runId } });
        });
      });

  onRun('dead-letters', 'list the records a run of a source could not store, with their reasons', 'sync_run.dead_letters.read', async (app, found, runId) => {
    const runs = app.get(SyncRunsService);
    let cursor: string | undefined;
    let count = 0;
    do {
      const page = await runs.deadLettersOfRun(found.workspaceId, runId, { limit: 100, cursor });
      for (const d of page.data) console.log(`${d.id}\t${d.stream ?? '-'}\t${d.location ?? '-'}\t${d.reason}`);
      count += page.data.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    console.log(`${count} dead letter${count === 1 ? '' : 's'} in run ${runId}`);
  });

  onRun('retry', "submit a run's dead letters to the ingest again, after a settings change lifted their cause", 'sync_run.dead_letters.retry', async (app, found, runId) => {
    const outcome = await app.get(DeadLetterRetryService).retryOfRun(found.workspaceId, runId);
    for (const r of outcome.refused) console.log(`refused\t${r.id}\t${r.reason}`);
    for (const r of outcome.notRetryable) console.log(`not retryable\t${r.id}\t${r.reason}`);
    console.log(
      `run ${runId}: ${outcome.retried} retried, ${outcome.stored} stored, ${outcome.refused.length} refused again, ${outcome.notRetryable.length} not retryable (not a fact: correct at the channel and sync again)`,
    );
  });
}

/** The run named by `--run` (it must be of the source), or the source's latest run that dead-lettered something. */
async function runWithDeadLetters(app: INestApplicationContext, source: SourceView, runId: string | undefined): Promise<string> {
  const runs = app.get(SyncRunsService);
  if (runId) {
    if (!UUID.test(runId)) fail(`no run ${runId} of source ${source.name}`);
    const run = await runs.get(runId, source.workspaceId).catch((error: unknown) => (error instanceof PortraitException ? undefined : Promise.reject(error)));
    if (!run || run.sourceId !== source.id) fail(`no run ${runId} of source ${source.name}`);
    return run.id;
  }
  const latest = (await runs.list(source.workspaceId, source.id, 500)).find((r) => Object.values(r.stats).some((s) => s.deadLettered > 0));
  if (!latest) fail(`no run of source ${source.name} (${source.id}) has dead letters`);
  return latest.id;
}

/** The audit entry of a command on a source, as the management API writes it for the same change. */
async function audit(app: INestApplicationContext, source: SourceView, action: string): Promise<void> {
  await app.get(AuditLogService).record({ workspaceId: source.workspaceId, actor: cliActor(), action, target: { type: 'source', id: source.id } });
}

async function workspaceIdOf(app: INestApplicationContext, slug: string): Promise<string> {
  const workspace = await app.get(WorkspacesService).findBySlug(slug);
  if (!workspace) fail(`no workspace "${slug}"`);
  return workspace.id;
}

async function findSource(app: INestApplicationContext, target: string, workspace: string | undefined): Promise<SourceView> {
  const sources = app.get(SourcesService);
  const workspaceIds = workspace ? [await workspaceIdOf(app, workspace)] : (await app.get(WorkspacesService).list()).map((w) => w.id);
  if (UUID.test(target)) {
    for (const id of workspaceIds) {
      const found = (await sources.list(id)).find((s) => s.id === target);
      if (found) return found;
    }
    fail(`no source ${target}${workspace ? ` in workspace "${workspace}"` : ''}`);
  }
  const matches = (await Promise.all(workspaceIds.map((id) => sources.list(id)))).flat().filter((s) => s.connectorId === target);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) fail(`no source of connector "${target}"${workspace ? ` in workspace "${workspace}"` : ''}`);
  fail(`${matches.length} sources use connector "${target}": give a source id (${matches.map((s) => `${s.name} ${s.id}`).join(', ')})`);
}

/** One stderr line per stream, rewritten in place: records read so far and records per second. */
function progressLine(): { update: (progress: SyncProgress) => void; end: () => void } {
  const startedAt = new Map<string, number>();
  // A stream starts when the one before it last reported (the first one, when the sync started).
  let lastReport = Date.now();
  let current: string | undefined;
  return {
    update({ stream, stats }) {
      if (!startedAt.has(stream)) startedAt.set(stream, lastReport);
      lastReport = Date.now();
      if (current !== undefined && current !== stream) process.stderr.write('\n');
      current = stream;
      const seconds = Math.max((Date.now() - startedAt.get(stream)!) / 1000, 0.001);
      const rate = Math.round(stats.read / seconds);
      process.stderr.write(
        `\r  ${stream}: ${stats.read} read (${rate} records/s), ${stats.created} created, ${stats.updated} updated, ${stats.deadLettered} dead-lettered\u001b[K`,
      );
    },
    end() {
      if (current !== undefined) process.stderr.write('\n');
    },
  };
}

function summary(run: SyncRunView): string {
  const lines = [`run ${run.id}: ${run.status} in ${run.durationMs ?? 0} ms (${run.mode})`];
  for (const [stream, s] of Object.entries(run.stats)) {
    lines.push(
      `  ${stream}: ${s.read} read, ${s.created} created, ${s.updated} updated, ${s.merged} merged, ${s.events} events, ${s.rejected} rejected, ${s.deadLettered} dead-lettered${s.suppressed ? `, ${s.suppressed} suppressed (erased people)` : ''}`,
    );
  }
  if (run.error) lines.push(`  error${run.retryable ? ' (may pass: try again later)' : ''}: ${run.error}`);
  return lines.join('\n');
}
