import type { Command } from 'commander';
import { ADMIN_ROLES, AdminTokensService, AdminUsersService, AuditLogService, type AdminRole } from '@portrait/core';
import { cliActor, fail, requireWorkspace, withCore } from './with-core.js';

/**
 * `portrait admin create|token create`: admin users of the management API (/admin/api) and their
 * tokens. A generated password and a token are printed once, alone on the last line.
 */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('manage admin users of the management API');

  admin
    .command('create')
    .description('create an admin user with a role in a workspace (or give an existing one that role); a generated password is printed once, on the last line')
    .requiredOption('--email <email>', 'the user\'s e-mail')
    .requiredOption('--role <role>', `one of ${ADMIN_ROLES.join(', ')}`)
    .requiredOption('--workspace <slug>', 'the workspace')
    .option('--password-stdin', 'read the password from standard input instead of generating one')
    .action(async (options: { email: string; role: string; workspace: string; passwordStdin?: boolean }) => {
      if (!ADMIN_ROLES.includes(options.role as AdminRole)) fail(`--role must be one of ${ADMIN_ROLES.join(', ')}`);
      const password = options.passwordStdin ? await readStdin() : undefined;
      await withCore(async (app) => {
        const workspace = await requireWorkspace(app, options.workspace);
        const added = await app.get(AdminUsersService).addMember(workspace.id, { email: options.email, role: options.role, password });
        await app.get(AuditLogService).record({ workspaceId: workspace.id, actor: cliActor(), action: 'member.add', target: { type: 'admin_user', id: added.member.userId } });
        const what = added.created ? 'created admin user' : 'added existing admin user';
        console.log(`${what} ${added.member.email} as ${added.member.role} of workspace ${workspace.slug}`);
        if (added.password) {
          console.log('their password, shown once (they sign in at POST /admin/api/session):');
          console.log(added.password);
        }
      });
    });

  admin
    .command('token')
    .description('admin tokens for automation')
    .command('create')
    .description('create an admin token for a user who owns a workspace; the token is printed once, alone on the last line')
    .requiredOption('--email <email>', 'the owner the token acts as')
    .requiredOption('--name <name>', 'what the token is for')
    .action(async (options: { email: string; name: string }) => {
      await withCore(async (app) => {
        const user = await app.get(AdminUsersService).findByEmail(options.email);
        if (!user) fail(`no admin user ${options.email}`);
        const { adminToken, token } = await app.get(AdminTokensService).create(user.id, options.name);
        await app.get(AuditLogService).record({ actor: cliActor(), action: 'admin_token.create', target: { type: 'admin_token', id: adminToken.id } });
        console.log(`created admin token ${adminToken.id} (${adminToken.prefix}…) "${adminToken.name}" acting as ${user.email}`);
        console.log('store it now: it is not shown again (send it as Authorization: Bearer <token>)');
        console.log(token);
      });
    });
}

/** Standard input to its end, without the final line break (`echo secret | portrait admin create … --password-stdin`). */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) fail('--password-stdin reads the password from a pipe, e.g. `printf %s "$PASSWORD" | pnpm portrait admin create …`');
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}
