import type { Command } from 'commander';
import type { INestApplicationContext } from '@nestjs/common';
import { AuditLogService, isUuid, SegmentDestinationsService, SegmentEditorService, SegmentException, SegmentsService, type SegmentView } from '@portrait/core';
import { auditCli, cliActor, fail, readJsonFile, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait segment create|list|preview|runs|destinations|connect|disconnect`: segments of a workspace,
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
    .description('the destinations of a segment (its id or key), each with what its last push did')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const found = await findSegment(app, workspace.id, reference);
        for (const d of await app.get(SegmentDestinationsService).list(workspace.id, found.id)) {
          const push = d.lastPush ? `last push ${d.lastPush.at}: ${d.lastPush.error ? `failed: ${d.lastPush.error}` : `${d.lastPush.synced} synced, ${d.lastPush.skipped} skipped`}` : 'not pushed yet';
          console.log([d.sourceId, d.source.name, d.source.connectorId, push].join('\t'));
        }
      });
    });

  segment
    .command('connect <segment>')
    .description('connect a destination (a source whose connector receives segments) to a segment: who enters and leaves is pushed to it from its next change on')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--source <id>', 'the destination source')
    .action(async (reference: string, options: { workspace: string; source: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const found = await findSegment(app, workspace.id, reference);
        const connected = await invalidAsFields(app.get(SegmentDestinationsService).connect(workspace.id, found.id, options.source));
        await auditCli(app, { workspaceId: workspace.id, action: 'segment.destination.connect', target: { type: 'segment', id: found.id } });
        console.log(`segment ${found.key} now pushes to ${connected.source.name} (${connected.sourceId})`);
      });
    });

  segment
    .command('disconnect <segment>')
    .description('disconnect a destination from a segment')
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

/** An invalid condition as one line per field. */
async function invalidAsFields<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof SegmentException && error.errors.length) fail(`invalid segment:\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
    throw error;
  }
}

/** A segment by its id or its key. */
function findSegment(app: INestApplicationContext, workspaceId: string, reference: string): Promise<SegmentView> {
  const segments = app.get(SegmentsService);
  return isUuid(reference) ? segments.get(workspaceId, reference) : segments.getByKey(workspaceId, reference);
}

function formatSegment(s: SegmentView): string {
  return [s.id, s.key, s.name, `${s.size} members`, s.computedAt ? `computed ${s.computedAt}` : 'not computed yet'].join('\t');
}
