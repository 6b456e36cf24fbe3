import type { Command } from 'commander';
import { ApiKeysService, WorkspacesService, type ApiKeyView } from '@portrait/core';
import { fail, withCore } from './with-core.js';

/** `portrait apikey create|list|revoke`: keys of the public API. The full key is printed once, alone on the last line. */
export function registerApiKeyCommands(program: Command): void {
  const apikey = program.command('apikey').description('manage API keys of the public API');

  apikey
    .command('create')
    .description('create an API key; the key is printed once, alone on the last line')
    .requiredOption('--workspace <slug>', 'workspace the key belongs to')
    .requiredOption('--scopes <scopes>', 'comma-separated scopes, e.g. profiles:read,events:write')
    .option('--name <name>', 'what the key is for')
    .option('--rate-limit <n>', 'requests per minute (default 600)')
    .action(async (options: { workspace: string; scopes: string; name?: string; rateLimit?: string }) => {
      const rateLimit = options.rateLimit === undefined ? undefined : Number(options.rateLimit);
      if (rateLimit !== undefined && !Number.isInteger(rateLimit)) fail(`--rate-limit must be a whole number of requests per minute`);
      await withCore(async (app) => {
        const workspace = await app.get(WorkspacesService).findBySlug(options.workspace);
        if (!workspace) fail(`workspace "${options.workspace}" does not exist`);
        const scopes = options.scopes.split(',').map((s) => s.trim()).filter(Boolean);
        const { apiKey, key } = await app.get(ApiKeysService).create(workspace.id, {
          name: options.name,
          scopes: scopes as Parameters<ApiKeysService['create']>[1]['scopes'],
          rateLimitPerMinute: rateLimit,
        });
        console.log(`created api key ${apiKey.id} (${apiKey.prefix}…) for workspace ${workspace.slug}: scopes ${apiKey.scopes.join(',')}, ${apiKey.rateLimitPerMinute} requests/minute`);
        console.log('store it now: it is not shown again');
        console.log(key);
      });
    });

  apikey
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--workspace <slug>', 'only this workspace')
    .action(async (options: { workspace?: string }) => {
      await withCore(async (app) => {
        const workspaces = await app.get(WorkspacesService).list();
        const slugs = new Map(workspaces.map((w) => [w.id, w.slug]));
        let workspaceId: string | undefined;
        if (options.workspace) {
          workspaceId = workspaces.find((w) => w.slug === options.workspace)?.id;
          if (!workspaceId) fail(`workspace "${options.workspace}" does not exist`);
        }
        for (const key of await app.get(ApiKeysService).list(workspaceId)) console.log(formatKey(key, slugs.get(key.workspaceId) ?? key.workspaceId));
      });
    });

  apikey
    .command('revoke <id>')
    .description('revoke an API key at once')
    .action(async (id: string) => {
      await withCore(async (app) => {
        const key = await app.get(ApiKeysService).revoke(id);
        console.log(`revoked api key ${key.id} (${key.prefix}…) at ${key.revokedAt}`);
      });
    });
}

function formatKey(key: ApiKeyView, workspace: string): string {
  const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'active';
  return [key.id, workspace, key.name, `${key.prefix}…`, key.scopes.join(','), `${key.rateLimitPerMinute}/min`, `last used ${key.lastUsedAt ?? 'never'}`, state].join('\t');
}
