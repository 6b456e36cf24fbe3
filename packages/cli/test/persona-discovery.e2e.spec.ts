import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PersonaDiscoveryService, PersonasService, WorkspacesService } from '@portrait/core';
import { createTestCore, insertPlantedPopulation, plantedPopulation, type TestCore } from '@portrait/core/testing';
import { CLI, cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));

/** Runs the CLI on a pseudo-terminal (`script`), as a user at a terminal would: its stdout and stderr come back as one. */
function runOnTerminal(args: string[], databaseUrl: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: cliEnv({ DATABASE_URL: databaseUrl }), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('portrait persona discover / accept', () => {
  let core: TestCore;
  let ws: string;
  let dir: string;
  beforeAll(async () => {
    core = await createTestCore();
    ws = (await core.app.get(WorkspacesService).create('demo')).id;
    await insertPlantedPopulation(core.db.dataSource, ws, plantedPopulation(0, 200, 5));
    dir = mkdtempSync(join(tmpdir(), 'portrait-discovery-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('discovers draft personas and prints them: sizes, human units, what sets each apart, its rules', async () => {
    const discovered = await run(['persona', 'discover', '--workspace', 'demo', '--min-k', '2', '--max-k', '6', '--seed', '4'], core.db.url);
    expect(discovered.stderr).toBe('');
    expect(discovered.code).toBe(0);
    const [, id] = discovered.stdout.match(/^discovery ([0-9a-f-]{36}): 4 draft personas from 200 people \(k = 4, silhouette 0\.\d+; fitted on 200\)\n/)!;
    const stored = await core.app.get(PersonaDiscoveryService).get(ws, id!);
    expect(stored).toMatchObject({ status: 'succeeded', params: { minK: 2, maxK: 6, seed: 4 } });
    const out = discovered.stdout;
    expect(out).toContain('features: lifetime value, order frequency, recency, average order value, discount share, refund share, e-mail engagement, web engagement, age band, region (left out: typology, no data)');
    for (const draft of stored.drafts) {
      expect(out).toContain(`draft ${draft.number}: ${draft.persona.name} — 50 people (25%)`);
      for (const rule of draft.persona.rules) expect(out).toContain(`    ${rule.weight} × ${JSON.stringify(rule.condition)}`);
    }
    expect(out).toMatch(/spends about \d+(\.\d+)? per order/);
    expect(out).toMatch(/sets it apart \(Cohen's d\): [a-z -]+ [+-]\d/);
    expect(out.endsWith(`accept one with: pnpm portrait persona accept --workspace demo ${id} <draft-number> [--file edits.json]\n`)).toBe(true);
  });

  it('draws a progress bar on a terminal', async () => {
    const onTerminal = await runOnTerminal(['persona', 'discover', '--workspace', 'demo', '--max-k', '4'], core.db.url);
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.output).toMatch(/\rdiscovery \[#{30}\] 100% {2}done/);
    expect(onTerminal.output).toMatch(/\rdiscovery \[[#-]{30}\] +\d+% {2}clustering/);
  });

  it('accepts a draft with an edits file as a persona that is assigned the draft\'s people, once', async () => {
    const started = await core.app.get(PersonaDiscoveryService).start(ws, { seed: 2 });
    const edits = join(dir, 'edits.json');
    writeFileSync(edits, JSON.stringify({ name: 'Found in the data', card: { role: 'buyer' } }));
    const accepted = await run(['persona', 'accept', '--workspace', 'demo', started.id, '2', '--file', edits], core.db.url);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    const [persona] = (await core.app.get(PersonasService).list(ws)).data.filter((p) => p.name === 'Found in the data');
    expect(persona).toMatchObject({ card: { role: 'buyer' }, rules: started.drafts[1]!.persona.rules });
    expect(accepted.stdout).toBe(`created persona Found in the data (${persona!.id}) from draft 2, key ${persona!.key}, minimum score 0.6: ${persona!.size} profiles assigned\n`);
    expect(persona!.size).toBeGreaterThanOrEqual(45);
    const again = await run(['persona', 'accept', '--workspace', 'demo', started.id, '2'], core.db.url);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`portrait: draft 2 of discovery ${started.id} is accepted already\n`);
  });

  it('refuses bad options, bad edits, unknown runs and drafts with clear lines', async () => {
    const badK = await run(['persona', 'discover', '--workspace', 'demo', '--min-k', '5', '--max-k', '3', '--seed', 'x'], core.db.url);
    expect(badK.code).toBe(1);
    expect(badK.stderr).toBe('portrait: invalid discovery:\n  --seed: must be a number\n');
    const badRange = await run(['persona', 'discover', '--workspace', 'demo', '--min-k', '5', '--max-k', '3'], core.db.url);
    expect(badRange.code).toBe(1);
    expect(badRange.stderr).toBe('portrait: invalid discovery:\n  --max-k: must be at least minK (5)\n');
    const started = await core.app.get(PersonaDiscoveryService).start(ws, { seed: 3 });
    const edits = join(dir, 'bad-edits.json');
    writeFileSync(edits, JSON.stringify({ minScore: 7 }));
    const badEdits = await run(['persona', 'accept', '--workspace', 'demo', started.id, '1', '--file', edits], core.db.url);
    expect(badEdits.code).toBe(1);
    expect(badEdits.stderr).toBe('portrait: invalid persona:\n  minScore: must be between 0 and 1\n');
    const badNumber = await run(['persona', 'accept', '--workspace', 'demo', started.id, 'first'], core.db.url);
    expect(badNumber.code).toBe(1);
    expect(badNumber.stderr).toBe('portrait: draft number must be a whole number from 1, not "first"\n');
    const noDraft = await run(['persona', 'accept', '--workspace', 'demo', started.id, '9'], core.db.url);
    expect(noDraft.stderr).toBe(`portrait: discovery ${started.id} has no draft 9 (it has 4)\n`);
    const noRun = await run(['persona', 'accept', '--workspace', 'demo', '00000000-0000-4000-8000-000000000000', '1'], core.db.url);
    expect(noRun.stderr).toBe('portrait: discovery 00000000-0000-4000-8000-000000000000 does not exist\n');
    const noWorkspace = await run(['persona', 'discover', '--workspace', 'nope'], core.db.url);
    expect(noWorkspace.code).toBe(1);
    expect(noWorkspace.stderr).toBe('portrait: workspace "nope" does not exist\n');
  });
});
