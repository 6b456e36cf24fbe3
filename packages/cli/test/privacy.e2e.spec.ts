import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

describe('portrait privacy erase / suppressions / unsuppress', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'portrait-cli-privacy-'));
    writeFileSync(join(dir, 'people.csv'), 'E-mail,First name\nana@example.org,Ana\nbo@example.org,Bo\n');
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('erases a person by an identifier, keeps them out of the next sync, counts and lifts the suppression', async () => {
    const env = { ...cliEnv(), DATABASE_URL: db.url, PORTRAIT_SECRET_KEY: 'p'.repeat(40) };
    const emails = async () => (await db.dataSource.query(`SELECT value FROM identities WHERE type = 'email' ORDER BY value`)).map((r: { value: string }) => r.value);
    expect((await runCli(['workspace', 'create', 'clinic'], env)).code).toBe(0);
    const config = JSON.stringify({ directory: dir, mapping: { identities: { 'E-mail': 'email' }, traits: { 'First name': 'first_name' } } });
    expect((await runCli(['source', 'create', '--workspace', 'clinic', '--connector', 'csv', '--name', 'people', '--config', config], env)).code).toBe(0);
    expect((await runCli(['sync', 'csv', '--workspace', 'clinic'], env)).code).toBe(0);

    const erased = await runCli(['privacy', 'erase', '--workspace', 'clinic', '--identity', 'email:Ana@Example.org'], env);
    expect(erased.stderr).toBe('');
    expect(erased.stdout).toMatch(/^erased profile [0-9a-f-]{36} \(1 profiles with those merged into it\): /);
    expect(erased.stdout).toContain('its identifiers are suppressed');
    expect(await emails()).toEqual(['bo@example.org']);

    const again = await runCli(['sync', 'csv', '--workspace', 'clinic', '--full'], env);
    expect(again.stdout).toContain('rows: 2 read, 0 created, 0 updated, 0 merged, 0 events, 0 rejected, 0 dead-lettered, 1 suppressed (erased people)');
    expect(await emails()).toEqual(['bo@example.org']);
    expect((await runCli(['privacy', 'suppressions', '--workspace', 'clinic'], env)).stdout).toBe('email\t1\n1 suppressed identifier\n');

    const bad = await runCli(['privacy', 'unsuppress', '--workspace', 'clinic', '--identity', 'ana@example.org'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--identity must be type:value');
    const notThere = await runCli(['privacy', 'unsuppress', '--workspace', 'clinic', '--identity', 'email:bo@example.org'], env);
    expect(notThere.code).toBe(1);
    expect(notThere.stderr).toContain('this identifier is not suppressed');
    const lifted = await runCli(['privacy', 'unsuppress', '--workspace', 'clinic', '--identity', 'email:ana@example.org'], env);
    expect(lifted.stdout).toBe('lifted: email ana@example.org is ingested again\n');
    expect((await runCli(['sync', 'csv', '--workspace', 'clinic', '--full'], env)).stdout).toContain('rows: 2 read, 1 created');
    expect(await emails()).toEqual(['ana@example.org', 'bo@example.org']);
  }, 90_000);
});
