import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnectorScaffold, ScaffoldError } from '../src/scaffold/connector-scaffold.js';
import { linkWorkspacePackage } from './support/link-workspace-package.js';

const CLI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(CLI_DIR, 'dist', 'main.js');
const ROOT = join(CLI_DIR, '..', '..');

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), NODE_OPTIONS: '' };
    delete env.DATABASE_URL;
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('portrait create-connector', () => {
  const name = `zz-scaffold-test-${randomBytes(4).toString('hex')}`;
  const directory = join(ROOT, 'plugins', name);
  // The generated package lives in the shared workspace only for this test file: removed even when a test fails.
  const cleanUp = () => rmSync(directory, { recursive: true, force: true });
  afterAll(cleanUp);
  process.once('exit', cleanUp);

  it('refuses bad names and an existing directory with a clear message', async () => {
    for (const bad of ['Acme', '1crm', 'acme_crm', 'acme--crm', 'acme-', 'plugin-acme', '']) {
      await expect(createConnectorScaffold({ name: bad, root: ROOT })).rejects.toThrow(ScaffoldError);
    }
    await expect(createConnectorScaffold({ name: 'Acme CRM', root: ROOT })).rejects.toThrow(
      '"Acme CRM" is not a valid connector name: use lower-case letters, digits and single dashes, starting with a letter (e.g. acme-crm)',
    );
    await expect(createConnectorScaffold({ name: 'csv', root: ROOT })).rejects.toThrow('plugins/csv already exists: pick another name or remove it first');

    const bad = await run(process.execPath, [CLI, 'create-connector', 'Not_Valid'], ROOT);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('portrait: "Not_Valid" is not a valid connector name');
    const existing = await run(process.execPath, [CLI, 'create-connector', 'csv'], join(ROOT, 'packages'));
    expect(existing.code).toBe(1);
    expect(existing.output).toContain('portrait: plugins/csv already exists');
  });

  it('generates a plugin whose tests, typecheck and lint pass as generated', async () => {
    const created = await run(process.execPath, [CLI, 'create-connector', name], ROOT);
    expect(created.output).toContain(`created @portrait/plugin-${name} in plugins/${name}`);
    expect(created.code).toBe(0);
    for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'jest.config.js', 'src/index.ts', 'src/transport.ts', 'src/mapper.ts', 'src/sandbox/index.ts', 'src/demo/index.ts', 'test/conformance.spec.ts']) {
      expect({ file, exists: existsSync(join(directory, file)) }).toEqual({ file, exists: true });
    }
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    expect(manifest.name).toBe(`@portrait/plugin-${name}`);
    expect(manifest.dependencies['@portrait/connector-sdk']).toBe('workspace:*');
    expect(readFileSync(join(directory, 'src/index.ts'), 'utf8')).toContain(`id: '${name}'`);

    const linked = await linkWorkspacePackage(directory, ROOT, [join(ROOT, 'packages', 'connector-sdk'), join(ROOT, 'packages', 'testkit')]);
    expect(linked).toEqual(expect.arrayContaining(['@portrait/connector-sdk', '@portrait/testkit', 'zod', 'jest']));

    const tests = await run(process.execPath, ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', join(directory, 'node_modules/jest/bin/jest.js'), '--ci', '--verbose'], directory);
    expect({ code: tests.code, output: tests.output }).toMatchObject({ code: 0 });
    expect(tests.output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(tests.output).toContain(`connector "${name}" conformance`);
    expect(tests.output).toContain('survives injected 429s (Retry-After) and 5xx responses');
    expect(tests.output).not.toMatch(/skipped|todo/);

    const typecheck = await run(process.execPath, [join(directory, 'node_modules/@typescript/native/bin/tsc'), '-p', 'tsconfig.json'], directory);
    expect({ code: typecheck.code, output: typecheck.output }).toEqual({ code: 0, output: '' });

    const lint = await run(process.execPath, [join(directory, 'node_modules/eslint/bin/eslint.js'), 'src', 'test'], directory);
    expect({ code: lint.code, output: lint.output }).toEqual({ code: 0, output: '' });

    // Generating it again is refused: nothing is overwritten.
    const again = await run(process.execPath, [CLI, 'create-connector', name], ROOT);
    expect(again.code).toBe(1);
    expect(again.output).toContain(`plugins/${name} already exists`);
  }, 300_000);
});
