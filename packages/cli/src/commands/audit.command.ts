import type { Command } from 'commander';
import { AuditLogService } from '@portrait/core';
import { requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait audit export`: a workspace's whole audit log — changes, reads of personal data through the
 * management API and the public API, CLI actions — as JSON lines, newest first (the management API's
 * `GET …/audit-log`, every page).
 */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description("the workspace's audit log");

  audit
    .command('export')
    .description('print every entry of the audit log as JSON lines, newest first (who, via what, what action, on what, from where, when)')
    .requiredOption('--workspace <slug>', 'the workspace')
    .action(async (options: { workspace: string }) => {
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const log = app.get(AuditLogService);
        let cursor: string | undefined;
        do {
          const page = await log.list(workspace.id, { limit: 200, cursor });
          for (const entry of page.data) process.stdout.write(`${JSON.stringify(entry)}\n`);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
      });
    });
}
