import type { Command } from 'commander';
import type { INestApplicationContext } from '@nestjs/common';
import { AuditLogService, isUuid, SegmentDestinationsService, SegmentEditorService, SegmentException, SegmentsService, type SegmentDestination, type SegmentView } from '@portrait/core';
import { auditCli, cliActor, fail, readJsonFile, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait segment create|list|preview|runs|destinations|connect|disconnect|push`: segments of a workspace,
 * through the same services as the management API. A segment file is `{"name", "condition", "key"?,
 * "description"?}`; preview reads only its `condition`. A segment is named by its id or its key.
 */
export function registerSegmentCommands(program: Command): void {
  const segment = program.command('segment').description('manage segments');

  segment
    .command('create')
    .description('create a segment from a JSON file; its members are computed at once')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--file <segment.json>', 'the segment: {"name", "condition", "key"?, "description"?}')
    .action(async (options: { workspace: string; file: string }) => {
      const draft = segmentFile(options.file, true);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const created = await invalidAsFields(app.get(SegmentEditorService).create(workspace.id, draft as { name: string; condition: unknown }));
        await app.get(AuditLogService).record({ workspaceId: workspace.id, actor: cliActor(), action: 'segment.create', target: { type: 'segment', id: created.id } });
        console.log(`created segment ${created.name} (${created.id}), key ${created.key}: ${created.size} members`);
      });
    });

  segment
    .command('list')
    .description('list the segments of a workspace, oldest first, with their member counts')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const segments = app.get(SegmentsService);
        for (let cursor: string | undefined, first = true; first || cursor; first = false) {
          const page = await segments.list(workspace.id, { limit: 200, cursor });
          for (const s of page.data) console.log(formatSegment(s));
          cursor = page.nextCursor ?? undefined;
        }
      });
    });

  segment
    .command('preview')
    .description('how many profiles a condition matches now, and the first of them, without saving it')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--file <segment.json>', 'a file with {"condition"} (a segment file will do)')
    .action(async (options: { workspace: string; file: string }) => {
      const { condition } = segmentFile(options.file, false);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const preview = await invalidAsFields(app.get(SegmentEditorService).preview(workspace.id, condition));
        await app.get(AuditLogService).record({ workspaceId: workspace.id, actor: cliActor(), action: 'segment.preview', target: { type: 'workspace', id: workspace.id } });
        console.log(`${preview.count} profiles match`);
        for (const p of preview.sample) console.log([p.id, p.kind, JSON.stringify(p.traits)].join('\t'));
      });
    });

  segment
    .command('runs <segment>')
    .description('the recomputes of a segment (its id or key), newest first: kind, start, duration, size, entered, exited')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const found = await findSegment(app, workspace.id, reference);
        for (const r of await app.get(SegmentsService).runs(workspace.id, found.id)) {
          console.log([r.startedAt, r.kind, `${r.durationMs} ms`, `size ${r.size}`, `+${r.entered}`, `-${r.exited}`].join('\t'));
        }
      });
    });

  segment
    .command('destinations <segment>')
    .description('the destinations of a segment (its id or key), each with its options, what its last push did, what it is still owed and when it is pushed next')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const found = await findSegment(app, workspace.id, reference);
        for (const d of await app.get(SegmentDestinationsService).list(workspace.id, found.id)) console.log(formatDestination(d));
      });
    });

  segment
    .command('push <segment>')
    .description('push now what the destinations of a segment (its id or key) are still owed, without waiting for their next attempt; exits 1 when a push fails')
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--destination <source>', 'only this destination (its source id or name)')
    .action(async (reference: string, options: { workspace: string; destination?: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const found = await findSegment(app, workspace.id, reference);
        const destinations = app.get(SegmentDestinationsService);
        let sourceId: string | undefined;
        if (options.destination !== undefined) {
          const connected = await destinations.list(workspace.id, found.id);
          const named = connected.filter((d) => d.sourceId === options.destination || d.source.name === options.destination);
          if (named.length === 0) fail(`"${options.destination}" is not a destination of segment ${found.key} (see: portrait segment destinations --workspace ${workspace.slug} ${found.key})`);
          if (named.length > 1) fail(`several destinations of segment ${found.key} are named "${options.destination}": give the source id`);
          sourceId = named[0]!.sourceId;
        }
        const pushed = await destinations.pushNow(workspace.id, found.id, sourceId);
        await auditCli(app, { workspaceId: workspace.id, action: 'segment.destination.push', target: { type: 'segment', id: found.id } });
        for (const d of pushed) console.log(formatDestination(d));
        // A destination still owed something after a failed push: scripts can tell.
        if (pushed.some((d) => d.lastPush?.outcome === 'failed' && d.pending.members > 0)) process.exitCode = 1;
      });
    });

  segment
    .command('connect <segment>')
    .description('connect a destination (a source whose connector receives segments) to a segment: its members are pushed to it, then who enters and leaves')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--source <id>', 'the destination source')
    .option(
      '--option <key=value>',
      "an option of the connection, as the destination's connector takes them (Mailchimp: audienceId=<audience id>, tag=<tag name>); repeat it for several. Left out: the connector's defaults. Connecting again replaces the options",
      collectOption,
    )
    .action(async (reference: string, options: { workspace: string; source: string; option?: Record<string, string> }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const found = await findSegment(app, workspace.id, reference);
        const connected = await invalidAsFields(app.get(SegmentDestinationsService).connect(workspace.id, found.id, options.source, options.option ?? {}), 'cannot connect');
        await auditCli(app, { workspaceId: workspace.id, action: 'segment.destination.connect', target: { type: 'segment', id: found.id } });
        console.log(`segment ${found.key} now pushes to ${connected.source.name} (${connected.sourceId})${describeOptions(connected.options)}`);
      });
    });

  segment
    .command('disconnect <segment>')
    .description('disconnect a destination from a segment (what was still to be pushed to it is dropped)')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--source <id>', 'the destination source')
    .action(async (reference: string, options: { workspace: string; source: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const found = await findSegment(app, workspace.id, reference);
        await app.get(SegmentDestinationsService).disconnect(workspace.id, found.id, options.source);
        await auditCli(app, { workspaceId: workspace.id, action: 'segment.destination.disconnect', target: { type: 'segment', id: found.id } });
        console.log(`segment ${found.key} no longer pushes to ${options.source}`);
      });
    });
}

function segmentFile(file: string, needsName: boolean): { name?: unknown; condition: unknown } {
  const content = readJsonFile(file);
  if (typeof content !== 'object' || content === null || Array.isArray(content)) fail(`${file} must hold a JSON object: {"name", "condition"}`);
  const draft = content as Record<string, unknown>;
  if (needsName && (typeof draft.name !== 'string' || !draft.name.trim())) fail(`${file}: name must be a non-empty string`);
  if (typeof draft.condition !== 'object' || draft.condition === null) fail(`${file}: condition must be a condition object, e.g. {"trait": "country", "op": "eq", "value": "BR"}`);
  return draft as { name?: unknown; condition: unknown };
}

/** An invalid condition (or connection) as one line per field. */
async function invalidAsFields<T>(work: Promise<T>, what = 'invalid segment'): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof SegmentException && error.errors.length) fail(`${what}:\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
    throw error;
  }
}

/** `--option key=value`, repeatable: the options so far with this one (the value is taken as given, a string). */
function collectOption(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) fail(`--option ${value}: must be key=value, e.g. --option tag=spring-vip`);
  const key = value.slice(0, at).trim();
  if (Object.prototype.hasOwnProperty.call(previous, key)) fail(`--option ${key} is given twice`);
  return { ...previous, [key]: value.slice(at + 1) };
}

/** A connection's options as ` with key=value, …` (keys in order); nothing when it has none (the destination's defaults). */
function describeOptions(options: Record<string, unknown>): string {
  const entries = Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length ? ` with ${entries.map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ')}` : '';
}

/** A segment by its id or its key. */
function findSegment(app: INestApplicationContext, workspaceId: string, reference: string): Promise<SegmentView> {
  const segments = app.get(SegmentsService);
  return isUuid(reference) ? segments.get(workspaceId, reference) : segments.getByKey(workspaceId, reference);
}

/** A destination on one line: source, its options, last push, what it is still owed and when it is pushed next. */
function formatDestination(d: SegmentDestination): string {
  const last = d.lastPush;
  const push = !last
    ? 'not pushed yet'
    : last.outcome === 'failed'
      ? `last push ${last.at}: failed (+${last.entered} -${last.exited}): ${last.error}`
      : `last push ${last.at}: succeeded (+${last.entered} -${last.exited}, ${last.synced} synced, ${last.skipped} skipped)`;
  const owed = d.pending.members === 0 ? 'nothing pending' : `${d.pending.members} pending since ${d.pending.since}, next attempt ${d.nextAttemptAt}`;
  const options = Object.keys(d.options).length ? describeOptions(d.options).replace(/^ with /, 'options ') : 'default options';
  return [d.sourceId, d.source.name, d.source.connectorId, options, push, owed, ...(d.failedAttempts ? [`${d.failedAttempts} failed attempts`] : [])].join('\t');
}

function formatSegment(s: SegmentView): string {
  return [s.id, s.key, s.name, `${s.size} members`, s.computedAt ? `computed ${s.computedAt}` : 'not computed yet'].join('\t');
}
