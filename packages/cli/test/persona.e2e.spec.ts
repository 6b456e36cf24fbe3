import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestService, PersonasService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));

describe('portrait persona', () => {
  let core: TestCore;
  let ws: string;
  let dir: string;
  beforeAll(async () => {
    core = await createTestCore();
    ws = (await core.app.get(WorkspacesService).create('acme')).id;
    await core.app.get(IngestService).ingest(
      ws,
      ['BR', 'BR', 'US'].map((country, i) => ({ source: 'shop', externalId: `c${i}`, identities: [{ type: 'email', value: `c${i}@example.org` }], traits: { country }, observedAt: new Date().toISOString() })),
    );
    dir = mkdtempSync(join(tmpdir(), 'portrait-persona-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('creates a persona from a JSON file, assigns the workspace\'s profiles and lists it', async () => {
    const file = join(dir, 'persona.json');
    writeFileSync(file, JSON.stringify({ name: 'Brazilian buyer', card: { role: 'buyer', typology: 'loyal' }, rules: [{ condition: { trait: 'country', op: 'eq', value: 'BR' }, weight: 1 }] }));
    const created = await run(['persona', 'create', '--workspace', 'acme', '--file', file], core.db.url);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created persona Brazilian buyer \([0-9a-f-]{36}\), key brazilian-buyer, minimum score 0\.5: 2 profiles assigned\n$/);
    const [persona] = (await core.app.get(PersonasService).list(ws)).data;
    expect(persona).toMatchObject({ key: 'brazilian-buyer', size: 2, card: { role: 'buyer', typology: 'loyal' } });

    const listed = await run(['persona', 'list', '--workspace', 'acme'], core.db.url);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(`${persona!.id}\tbrazilian-buyer\tBrazilian buyer\t2 profiles\tmin 0.5\t1 rules\n`);
  });

  it('refuses a missing file, a file that is not JSON, an invalid persona and an unknown workspace with clear lines', async () => {
    const missing = await run(['persona', 'create', '--workspace', 'acme', '--file', join(dir, 'nope.json')], core.db.url);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
    const garbage = join(dir, 'garbage.json');
    writeFileSync(garbage, '{ name: ');
    const notJson = await run(['persona', 'create', '--workspace', 'acme', '--file', garbage], core.db.url);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain(`${garbage} is not JSON`);
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ name: 'Bad', rules: [{ condition: { persona: '00000000-0000-4000-8000-000000000000' }, weight: -1 }] }));
    const refused = await run(['persona', 'create', '--workspace', 'acme', '--file', invalid], core.db.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('invalid persona:\n  rules.0.weight: must be greater than 0\n  rules.0.condition.persona: a persona rule cannot refer to a persona');
    const noWorkspace = await run(['persona', 'list', '--workspace', 'nope'], core.db.url);
    expect(noWorkspace.code).toBe(1);
    expect(noWorkspace.stderr).toContain('workspace "nope" does not exist');
  });
});
