import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `portrait create-connector <name>`: writes plugins/<name>, a source connector package that passes
 * its conformance suite as generated — manifest and one stream, HTTP transport through `ctx.http`,
 * a mapper, a sandbox built on the testkit (`/sandbox`), a demo (`/demo`), and the tests. Templates live in
 * packages/cli/templates/connector (read at run time, from src and from dist alike).
 */

/** Same rule as a manifest id: the plugin's id is its name. */
export const CONNECTOR_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

export interface ScaffoldOptions {
  name: string;
  /** The workspace root (the directory holding pnpm-workspace.yaml). */
  root: string;
}

export interface ScaffoldResult {
  directory: string;
  packageName: string;
  /** Paths relative to `directory`, sorted. */
  files: string[];
}

const TEMPLATES = fileURLToPath(new URL('../../templates/connector/', import.meta.url));

/** Refuses what would not make a valid plugin id or package name, with the reason. */
export function connectorNameProblem(name: string): string | undefined {
  if (!CONNECTOR_NAME.test(name)) {
    return `"${name}" is not a valid connector name: use lower-case letters, digits and single dashes, starting with a letter (e.g. acme-crm)`;
  }
  if (name.length > 40) return `"${name}" is too long: at most 40 characters`;
  if (name.startsWith('plugin-')) return `"${name}": leave out the "plugin-" prefix, the package is named @portrait/plugin-<name>`;
  return undefined;
}

/** The nearest directory at or above `from` holding pnpm-workspace.yaml. */
export function findWorkspaceRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new ScaffoldError(`no pnpm-workspace.yaml at or above ${from}: run this inside the Portrait repository`);
  }
}

const pascal = (name: string) => name.split('-').map((part) => part[0]!.toUpperCase() + part.slice(1)).join('');
const title = (name: string) => name.split('-').map((part) => part[0]!.toUpperCase() + part.slice(1)).join(' ');

export async function createConnectorScaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const problem = connectorNameProblem(options.name);
  if (problem) throw new ScaffoldError(problem);
  const root = resolve(options.root);
  const directory = join(root, 'plugins', options.name);
  if (existsSync(directory)) throw new ScaffoldError(`${relative(root, directory)} already exists: pick another name or remove it first`);
  const sdkPackage = join(root, 'packages', 'connector-sdk', 'package.json');
  if (!existsSync(sdkPackage)) throw new ScaffoldError(`${root} has no packages/connector-sdk: run this inside the Portrait repository`);
  const sdk = JSON.parse(await readFile(sdkPackage, 'utf8')) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

  const substitutions: [string, string][] = [
    ['__PASCAL__', pascal(options.name)],
    ['__TITLE__', title(options.name)],
    ['__NAME__', options.name],
  ];
  const render = (text: string) => substitutions.reduce((out, [key, value]) => out.replaceAll(key, value), text);
  const packageName = `@portrait/plugin-${options.name}`;
  const files = new Map<string, string>();

  files.set(
    'package.json',
    JSON.stringify(
      {
        name: packageName,
        version: '0.1.0',
        private: true,
        description: `Portrait source connector for ${title(options.name)}.`,
        license: 'Apache-2.0',
        type: 'module',
        main: './dist/index.js',
        types: './dist/index.d.ts',
        exports: {
          '.': { types: './dist/index.d.ts', source: './src/index.ts', default: './dist/index.js' },
          './sandbox': { types: './dist/sandbox/index.d.ts', source: './src/sandbox/index.ts', default: './dist/sandbox/index.js' },
          './demo': { types: './dist/demo/index.d.ts', source: './src/demo/index.ts', default: './dist/demo/index.js' },
        },
        engines: { node: '>=20.19.0' },
        scripts: {
          build: 'tsc -p tsconfig.build.json',
          typecheck: 'tsc -p tsconfig.json',
          lint: 'eslint src test',
          test: "NODE_OPTIONS='--experimental-vm-modules --no-warnings=ExperimentalWarning' jest",
        },
        // The testkit serves the sandbox and demo entry points only; the connector entry loads the SDK alone.
        dependencies: { '@portrait/connector-sdk': 'workspace:*', '@portrait/testkit': 'workspace:*', zod: sdk.dependencies?.zod ?? '^4.6.7' },
        // The plugin builds and tests with the SDK's own toolchain.
        devDependencies: sdk.devDependencies,
      },
      null,
      2,
    ) + '\n',
  );
  files.set(
    'tsconfig.json',
    `${JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: { rootDir: '.', outDir: 'dist', noEmit: true, types: ['node', 'jest'] },
        include: ['src/**/*.ts', 'test/**/*.ts'],
      },
      null,
      2,
    )}\n`,
  );
  files.set(
    'tsconfig.build.json',
    `${JSON.stringify(
      {
        extends: '../../tsconfig.base.json',
        compilerOptions: { rootDir: 'src', outDir: 'dist', noEmit: false },
        include: ['src/**/*.ts'],
        exclude: ['src/**/*.spec.ts'],
      },
      null,
      2,
    )}\n`,
  );
  files.set(
    'jest.config.js',
    [
      "import { dirname } from 'node:path';",
      "import { fileURLToPath } from 'node:url';",
      "import { jestConfig } from '../../jest.base.js';",
      '',
      'export default jestConfig(dirname(fileURLToPath(import.meta.url)));',
      '',
    ].join('\n'),
  );
  for (const template of await listTemplates(TEMPLATES)) {
    files.set(template.replace(/\.tmpl$/, ''), render(await readFile(join(TEMPLATES, template), 'utf8')));
  }

  try {
    for (const [path, content] of files) {
      await mkdir(dirname(join(directory, path)), { recursive: true });
      await writeFile(join(directory, path), content, { flag: 'wx' });
    }
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return { directory, packageName, files: [...files.keys()].sort() };
}

async function listTemplates(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listTemplates(dir, path)));
    else if (entry.name.endsWith('.tmpl')) out.push(path);
  }
  return out.sort();
}
