import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IngestService, SegmentEditorService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import connector from '../src/index.js';
import { MailchimpSandbox, tagHolders } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

/** The built CLI, run as a user runs it (`pnpm portrait …`). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'dist', 'main.js');

/** Runs the CLI without blocking this process, which serves the sandbox the CLI calls. */
function portrait(args: string[], databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', NODE_OPTIONS: '', DATABASE_URL: databaseUrl, PORTRAIT_SECRET_KEY: 'd'.repeat(40) };
  delete env.REDIS_URL;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pnpm portrait segment connect … to a Mailchimp source', () => {
  let core: TestCore;
  let sandbox: MailchimpSandbox;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'd'.repeat(40) }, connectors: [connector] });
    sandbox = await MailchimpSandbox.start({ members: 20, seed: 53 });
  });
  afterAll(async () => {
    await sandbox?.close();
    await core?.close();
  });

  it('creates the source, connects a segment and pushes it: the consenting members hold the tag', async () => {
    const ws = (await core.app.get(WorkspacesService).create('news')).id;
    const [a, b] = sandbox.data.audience(sandbox.listId)!.members.slice(0, 2).map((m) => m.record.email_address);
    await core.app.get(IngestService).ingest(
      ws,
      [a!, b!].map((email, i) => ({
        source: 'shop',
        externalId: email,
        identities: [{ type: 'email', value: email }],
        traits: { vip: true },
        observedAt: '2026-01-01T00:00:00Z',
        consent: [{ purpose: 'email_marketing', granted: i === 0, at: '2026-01-01T00:00:00Z' }],
      })),
    );
    const db = core.db.url;
    await core.app.get(SegmentEditorService).create(ws, { name: 'VIP', key: 'vip-customers', condition: { trait: 'vip', op: 'eq', value: true } });

    const created = await portrait(['source', 'create', '--workspace', 'news', '--connector', 'mailchimp', '--name', 'Newsletter', '--config', JSON.stringify(sandboxConfig(sandbox))], db);
    expect(created).toMatchObject({ code: 0 });
    const sourceId = /\(([0-9a-f-]{36})\)/.exec(created.stdout)![1]!;
    const connected = await portrait(['segment', 'connect', '--workspace', 'news', 'vip-customers', '--source', sourceId], db);
    expect(connected).toMatchObject({ code: 0, stdout: `segment vip-customers now pushes to Newsletter (${sourceId})\n` });
    const pushed = await portrait(['segment', 'push', '--workspace', 'news', 'vip-customers'], db);
    expect(pushed).toMatchObject({ code: 0 });
    expect(pushed.stdout).toContain('succeeded (+1 -0, 1 synced, 0 skipped)');

    expect(tagHolders(sandbox.data, sandbox.listId, 'vip-customers').map((e) => e.toLowerCase())).toEqual([a!.toLowerCase()]);

    // Connected again with a tag of its own: the members are sent again under it; a bad option is refused by name.
    const refused = await portrait(['segment', 'connect', '--workspace', 'news', 'vip-customers', '--source', sourceId, '--option', 'audienceId=ffffffffff'], db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`options.audienceId: must be one of the source's audiences: ${sandbox.listId}`);
    const tagged = await portrait(['segment', 'connect', '--workspace', 'news', 'vip-customers', '--source', sourceId, '--option', `audienceId=${sandbox.listId}`, '--option', 'tag=spring-vip'], db);
    expect(tagged).toMatchObject({ code: 0, stdout: `segment vip-customers now pushes to Newsletter (${sourceId}) with audienceId=${sandbox.listId}, tag=spring-vip\n` });
    expect((await portrait(['segment', 'push', '--workspace', 'news', 'vip-customers'], db)).code).toBe(0);
    expect(tagHolders(sandbox.data, sandbox.listId, 'spring-vip').map((e) => e.toLowerCase())).toEqual([a!.toLowerCase()]);
    const listed = await portrait(['segment', 'destinations', '--workspace', 'news', 'vip-customers'], db);
    expect(listed.stdout).toContain(`\toptions audienceId=${sandbox.listId}, tag=spring-vip\tlast push `);
  }, 120_000);
});
