import type { INestApplicationContext } from '@nestjs/common';
import type { Command } from 'commander';
import { IcpException, IcpsService, isUuid, type IcpView } from '@portrait/core';
import { auditCli, fail, readJsonFile, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait icp create|list|show|update|delete|scores`: ideal customer profiles of a workspace. An
 * ICP is written as JSON (the `icpInputSchema` of `@portrait/core`): name, weighted criteria in the
 * segment condition language (on the account, or counting its people with `minPeople`), and
 * optionally key, description and threshold. Creating, changing or deleting one scores the
 * workspace's accounts again. An ICP is named by its id or its key.
 */
export function registerIcpCommands(program: Command): void {
  const icp = program.command('icp').description('manage ideal customer profiles (ICPs) and read their fit scores');

  icp
    .command('create')
    .description('create an ICP from a JSON file; every account of the workspace is scored and its people get their fit')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--file <icp.json>', 'the ICP: {"name", "criteria": [{"kind"?, "condition", "weight", "minPeople"?, "label"?}], "key"?, "description"?, "threshold"?}')
    .action(async (options: { workspace: string; file: string }) => {
      const input = readJsonFile(options.file);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const created = await explainInvalid(() => app.get(IcpsService).create(workspace.id, input));
        await audit(app, workspace.id, 'icp.create', created.id);
        console.log(`created ICP ${created.name} (${created.id}), key ${created.key}, threshold ${created.threshold}: ${created.qualified} of ${created.accounts} accounts qualified`);
      });
    });

  icp
    .command('list')
    .description('list the ICPs of a workspace, oldest first, with how many accounts each qualifies')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const icps = app.get(IcpsService);
        for (let cursor: string | undefined, first = true; first || cursor; first = false) {
          const page = await icps.list(workspace.id, { limit: 200, cursor });
          for (const i of page.data) console.log(formatIcp(i));
          cursor = page.nextCursor ?? undefined;
        }
      });
    });

  icp
    .command('show <icp>')
    .description('an ICP (its id or key) as JSON: criteria, threshold, accounts scored and qualified')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        console.log(JSON.stringify(await find(app, workspace.id, reference), null, 2));
      });
    });

  icp
    .command('update <icp>')
    .description('replace an ICP (its id or key) with a JSON file, as for create; every account is scored again')
    .requiredOption('--workspace <slug>', 'the workspace')
    .requiredOption('--file <icp.json>', 'the whole ICP, as for create (the key stays unless the file gives one)')
    .action(async (reference: string, options: { workspace: string; file: string }) => {
      const input = readJsonFile(options.file);
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const current = await find(app, workspace.id, reference);
        const updated = await explainInvalid(() => app.get(IcpsService).update(workspace.id, current.id, input));
        await audit(app, workspace.id, 'icp.update', updated.id);
        console.log(`updated ICP ${updated.name} (${updated.id}), key ${updated.key}, threshold ${updated.threshold}: ${updated.qualified} of ${updated.accounts} accounts qualified`);
      });
    });

  icp
    .command('delete <icp>')
    .description('delete an ICP (its id or key); its scores go and every fit is set again from the ICPs left')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const current = await find(app, workspace.id, reference);
        await app.get(IcpsService).delete(workspace.id, current.id);
        await audit(app, workspace.id, 'icp.delete', current.id);
        console.log(`deleted ICP ${current.name} (${current.id})`);
      });
    });

  icp
    .command('scores <icp>')
    .description('how the accounts spread over fit scores for an ICP (its id or key): ten buckets, and how many are qualified')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (reference: string, options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const current = await find(app, workspace.id, reference);
        const distribution = await app.get(IcpsService).distribution(workspace.id, current.id);
        console.log(`${distribution.icp}: ${distribution.qualified} of ${distribution.accounts} accounts qualified (threshold ${distribution.threshold})`);
        for (const b of distribution.buckets) console.log(`${String(b.from).padStart(3)}-${String(b.to).padEnd(3)}\t${b.accounts}`);
      });
    });
}

/** An ICP by its id or its key. */
function find(app: INestApplicationContext, workspaceId: string, reference: string): Promise<IcpView> {
  const icps = app.get(IcpsService);
  return isUuid(reference) ? icps.get(workspaceId, reference) : icps.getByKey(workspaceId, reference);
}

/** Runs a create or update, printing an invalid ICP's errors field by field. */
async function explainInvalid(write: () => Promise<IcpView>): Promise<IcpView> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof IcpException && error.errors.length) fail(`invalid ICP:\n${error.errors.map((e) => `  ${e.field}: ${e.message}`).join('\n')}`);
    throw error;
  }
}

function audit(app: INestApplicationContext, workspaceId: string, action: string, icpId: string): Promise<void> {
  return auditCli(app, { workspaceId, action, target: { type: 'icp', id: icpId } });
}

function formatIcp(i: IcpView): string {
  return [i.id, i.key, i.name, `${i.qualified}/${i.accounts} qualified`, `threshold ${i.threshold}`, `${i.criteria.length} criteria`].join('\t');
}
