import { AdminSessionsService, AdminTokensService, AdminUsersService, AuditLogService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string, input?: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }), input);
const lastLine = (stdout: string) => stdout.trimEnd().split('\n').at(-1)!;

describe('portrait admin', () => {
  let core: TestCore;
  let acme: string;
  beforeAll(async () => {
    core = await createTestCore();
    acme = (await core.app.get(WorkspacesService).create('acme')).id;
  });
  afterAll(() => core?.close());

  it('creates an owner with a generated password printed once on the last line, who can sign in', async () => {
    const created = await run(['admin', 'create', '--email', 'Boss@Example.org', '--role', 'owner', '--workspace', 'acme'], core.db.url);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created admin user boss@example.org as owner of workspace acme');
    const password = lastLine(created.stdout);
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    const signedIn = await core.app.get(AdminSessionsService).signIn({ email: 'boss@example.org', password, ip: '127.0.0.1' });
    expect(signedIn.principal.email).toBe('boss@example.org');
    expect(await core.app.get(AdminUsersService).members(acme)).toEqual([expect.objectContaining({ email: 'boss@example.org', role: 'owner' })]);
    const [entry] = (await core.app.get(AuditLogService).list(acme)).data;
    expect(entry).toMatchObject({ action: 'member.add', actor: { via: 'cli', label: expect.stringMatching(/^cli:/) } });
  });

  it('takes a password from standard input, and adds an existing user to another workspace without printing one', async () => {
    await core.app.get(WorkspacesService).create('beta');
    const created = await run(['admin', 'create', '--email', 'ops@example.org', '--role', 'viewer', '--workspace', 'acme', '--password-stdin'], core.db.url, 'a chosen password\n');
    expect(created.code).toBe(0);
    expect(created.stdout).not.toContain('password');
    expect((await core.app.get(AdminSessionsService).signIn({ email: 'ops@example.org', password: 'a chosen password', ip: '127.0.0.1' })).principal.email).toBe('ops@example.org');
    const added = await run(['admin', 'create', '--email', 'ops@example.org', '--role', 'admin', '--workspace', 'beta'], core.db.url);
    expect(added.code).toBe(0);
    expect(added.stdout.trim()).toBe('added existing admin user ops@example.org as admin of workspace beta');
  });

  it('refuses a bad role, a short password, an unknown workspace and a duplicate membership with one clear line', async () => {
    const badRole = await run(['admin', 'create', '--email', 'x@example.org', '--role', 'god', '--workspace', 'acme'], core.db.url);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('--role must be one of viewer, admin, owner');
    const short = await run(['admin', 'create', '--email', 'x@example.org', '--role', 'viewer', '--workspace', 'acme', '--password-stdin'], core.db.url, 'short');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('password: must be 12 to 1024 characters');
    const noWorkspace = await run(['admin', 'create', '--email', 'x@example.org', '--role', 'viewer', '--workspace', 'nope'], core.db.url);
    expect(noWorkspace.stderr).toContain('workspace "nope" does not exist');
    const twice = await run(['admin', 'create', '--email', 'boss@example.org', '--role', 'viewer', '--workspace', 'acme'], core.db.url);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('already a member');
    expect(await core.app.get(AdminUsersService).findByEmail('x@example.org')).toBeUndefined();
  });

  it('creates an admin token for an owner, printed once as the last line; refuses non-owners', async () => {
    const created = await run(['admin', 'token', 'create', '--email', 'boss@example.org', '--name', 'ci'], core.db.url);
    expect(created.code).toBe(0);
    const token = lastLine(created.stdout);
    expect(token).toMatch(/^pra_[A-Za-z0-9]{43}$/);
    expect(await core.app.get(AdminTokensService).authenticate(token)).toMatchObject({ email: 'boss@example.org', via: 'token' });
    const viewer = await run(['admin', 'token', 'create', '--email', 'ops@example.org', '--name', 'ci'], core.db.url);
    // ops@example.org is a viewer of acme and an admin of beta: no owner.
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain('only owners of a workspace create admin tokens');
    const unknown = await run(['admin', 'token', 'create', '--email', 'who@example.org', '--name', 'ci'], core.db.url);
    expect(unknown.stderr).toContain('no admin user who@example.org');
  });
});
