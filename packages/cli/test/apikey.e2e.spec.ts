import { API_KEY_RECHECK_MS, ApiKeysService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));

describe('portrait apikey', () => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore();
    await core.app.get(WorkspacesService).create('acme');
  });
  afterAll(() => core?.close());

  it('creates a key printed alone on the last line, lists it without the secret, and revokes it', async () => {
    const created = await run(['apikey', 'create', '--workspace', 'acme', '--scopes', 'profiles:read,events:write', '--name', 'crm', '--rate-limit', '120'], core.db.url);
    expect(created.code).toBe(0);
    const lines = created.stdout.trimEnd().split('\n');
    const key = lines[lines.length - 1]!;
    expect(key).toMatch(/^prt_[A-Za-z0-9]{40}$/);

    const principal = await core.app.get(ApiKeysService).authenticate(key);
    expect(principal).toMatchObject({ scopes: ['profiles:read', 'events:write'], rateLimitPerMinute: 120 });

    const listed = await run(['apikey', 'list', '--workspace', 'acme'], core.db.url);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${principal!.keyId}\tacme\tcrm\t${key.slice(0, 12)}…\tprofiles:read,events:write\t120/min`);
    expect(listed.stdout).not.toContain(key.slice(12));

    const revoked = await run(['apikey', 'revoke', principal!.keyId], core.db.url);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked api key ${principal!.keyId}`);
    // Revoked by another process: refused here once this process checks the key again (API_KEY_RECHECK_MS at the most).
    await new Promise((resolve) => setTimeout(resolve, API_KEY_RECHECK_MS + 50));
    expect(await core.app.get(ApiKeysService).authenticate(key)).toBeUndefined();
    expect((await run(['apikey', 'list'], core.db.url)).stdout).toMatch(/\trevoked \d{4}-/);
  });

  it('refuses an unknown workspace, an unknown scope and an unknown key with one clear line', async () => {
    const noWorkspace = await run(['apikey', 'create', '--workspace', 'nope', '--scopes', 'profiles:read'], core.db.url);
    expect(noWorkspace.code).toBe(1);
    expect(noWorkspace.stderr).toContain('workspace "nope" does not exist');
    const badScope = await run(['apikey', 'create', '--workspace', 'acme', '--scopes', 'profiles:read,everything'], core.db.url);
    expect(badScope.code).toBe(1);
    expect(badScope.stderr).toContain('scopes.1: must be one of profiles:read');
    const unknown = await run(['apikey', 'revoke', '00000000-0000-4000-8000-000000000000'], core.db.url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not exist');
  });
});
