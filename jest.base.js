// Shared Jest setup: ESM mode (NestJS 12 is ESM-only), TypeScript through @swc/jest,
// workspace packages resolved to their sources so tests never run against a stale build.
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = dirname(fileURLToPath(import.meta.url));

function workspaceMappers() {
  const mappers = {};
  for (const group of ['packages', 'plugins', 'apps']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const pkgFile = join(dir, name, 'package.json');
      if (!existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
      const exportsMap = pkg.exports ?? {};
      for (const [subpath, target] of Object.entries(exportsMap)) {
        const source = typeof target === 'object' ? target.source : undefined;
        if (!source) continue;
        const spec = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`;
        mappers[`^${spec.replace(/[/.]/g, (c) => `\\${c}`)}$`] = join(dir, name, source);
      }
    }
  }
  return mappers;
}

export function jestConfig(packageDir, overrides = {}) {
  return {
    rootDir: packageDir,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts', '.tsx'],
    moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'json'],
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
    transform: {
      '^.+\\.tsx?$': [
        '@swc/jest',
        {
          jsc: {
            target: 'es2022',
            parser: { syntax: 'typescript', decorators: true, tsx: true },
            transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
            keepClassNames: true,
          },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleNameMapper: {
      ...workspaceMappers(),
      // Its ESM build imports JSON without an import attribute, which Jest's ESM mode warns about.
      '^libphonenumber-js/max$': createRequire(join(root, 'packages/core/package.json')).resolve('libphonenumber-js/max'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testTimeout: 60_000,
    ...overrides,
  };
}
