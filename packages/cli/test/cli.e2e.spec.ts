import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, freePort, type TestDatabase } from '@portrait/core/testing';
import { CLI, cliEnv, runCli } from './support/run-cli.js';

const baseEnv = () => cliEnv();
const run = runCli;

async function waitFor(url: string, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('portrait CLI', () => {
  describe('workspace create on DATABASE_URL', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => db?.close());

    it('creates a workspace once and refuses a duplicate or a bad slug with a clear message', async () => {
      const env = { ...baseEnv(), DATABASE_URL: db.url };
      const created = await run(['workspace', 'create', 'acme', '--name', 'Acme Inc'], env);
      expect(created.code).toBe(0);
      expect(created.stdout).toMatch(/^created workspace acme \([0-9a-f-]{36}\)/);
      const again = await run(['workspace', 'create', 'acme'], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('a workspace with slug "acme" already exists');
      const bad = await run(['workspace', 'create', 'Not A Slug'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('must be lower-case letters');
      expect((await run(['workspace', 'list'], env)).stdout).toMatch(/^acme\t[0-9a-f-]{36}\tAcme Inc$/m);
    });
  });

  it('refuses to start with an invalid DATABASE_URL, naming the variable', async () => {
    const result = await run(['start'], { ...baseEnv(), DATABASE_URL: 'not-a-url' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL must be a postgres:// or postgresql:// URL');
    expect(result.stderr).not.toContain('not-a-url');
  });

  /** Every live profile of the workspace of `key`, through the public API. */
  async function profileIds(apiPort: string, key: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (await fetch(`http://127.0.0.1:${apiPort}/v1/profiles?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        data: { id: string }[];
        nextCursor: string | null;
      };
      ids.push(...page.data.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  }

  /** Waits until the demo workspace holds profiles and their number has stopped changing (its first sync is over). */
  async function settledProfiles(apiPort: string, key: string, timeoutMs = 60_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const ids = await profileIds(apiPort, key);
      if (ids.length > 0 && ids.length === last.length) return ids;
      if (Date.now() > deadline) throw new Error(`the demo workspace did not settle (${ids.length} profiles)`);
      last = ids;
    }
  }

  it('starts admin, API and worker on the embedded database with a synced demo source, stops on Ctrl-C and keeps the data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portrait-start-'));
    const env = {
      ...baseEnv(),
      PORTRAIT_DATA_DIR: dataDir,
      ADMIN_PORT: String(await freePort()),
      API_PORT: String(await freePort()),
      WORKER_PORT: String(await freePort()),
    };
    const start = () => {
      const child = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const output = { text: '' };
      child.stdout.on('data', (chunk) => (output.text += chunk));
      return Object.assign(child, { output });
    };
    const signIn = (email: string, password: string) =>
      fetch(`http://127.0.0.1:${env.ADMIN_PORT}/admin/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    try {
      const first = start();
      for (const port of [env.ADMIN_PORT, env.API_PORT, env.WORKER_PORT]) await waitFor(`http://127.0.0.1:${port}/healthz`);
      // The first start creates the demo workspace's owner and prints the one-time sign-in with the addresses.
      while (!first.output.text.includes('Portrait is running')) await new Promise((resolve) => setTimeout(resolve, 100));
      const [, email, password] = /Admin sign-in \(shown this once\): (\S+) \/ (\S+)/.exec(first.output.text) ?? [];
      expect(email).toBe('owner@demo.portrait.local');
      const session = await signIn(email!, password!);
      expect(session.status).toBe(200);
      expect(((await session.json()) as { workspaces: { slug: string; role: string }[] }).workspaces).toEqual([expect.objectContaining({ slug: 'demo', role: 'owner' })]);
      const ready = (await (await waitFor(`http://127.0.0.1:${env.API_PORT}/readyz`)).json()) as { details: Record<string, { status: string }> };
      expect(ready.details.database.status).toBe('up');

      // The CLI reaches the running instance's database instead of failing on the data directory.
      const created = await run(['workspace', 'create', 'kept'], env);
      expect(created.code).toBe(0);
      // The demo workspace fills up from its sandbox source, synced by the worker at start.
      const key = (await run(['apikey', 'create', '--workspace', 'demo', '--scopes', 'profiles:read'], env)).stdout.trim().split('\n').at(-1)!;
      const synced = await settledProfiles(env.API_PORT, key);
      expect(synced.length).toBeGreaterThan(100);

      first.kill('SIGINT');
      expect(await exited(first)).toBe(0);

      const second = start();
      await waitFor(`http://127.0.0.1:${env.ADMIN_PORT}/healthz`);
      expect((await run(['workspace', 'list'], env)).stdout.split('\n').map((line) => line.split('\t')[0]).filter(Boolean).sort()).toEqual(['demo', 'kept']);
      // The owner is there already: no new password, the first one still signs in.
      expect((await signIn(email!, password!)).status).toBe(200);
      // The same demo source, synced again at start: the same files are not imported twice.
      const sources = await run(['source', 'list', '--workspace', 'demo'], env);
      expect(sources.stdout.trim().split('\n').filter((line) => line.includes('Store visits (demo)'))).toHaveLength(1);
      expect((await settledProfiles(env.API_PORT, key)).sort()).toEqual([...synced].sort());
      while (!second.output.text.includes('Portrait is running')) await new Promise((resolve) => setTimeout(resolve, 100));
      second.kill('SIGINT');
      expect(await exited(second)).toBe(0);
      expect(second.output.text).not.toContain('Admin sign-in');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
