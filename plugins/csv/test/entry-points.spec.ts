import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Every module the file imports, transitively: relative ones as absolute paths, packages by name. */
function importsOf(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  for (const [, specifier] of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/g)) {
    if (specifier!.startsWith('.')) importsOf(resolve(dirname(file), specifier!.replace(/\.js$/, '.ts')), seen);
    else seen.add(specifier!);
  }
  return seen;
}

describe('entry points', () => {
  it('the connector (default entry) loads only the SDK and its own code: no testkit, sandbox or demo', () => {
    const loaded = [...importsOf(join(src, 'index.ts'))];
    const packages = loaded.filter((m) => !m.startsWith('/')).filter((m) => !m.startsWith('node:'));
    expect(packages.sort()).toEqual(['@portrait/connector-sdk', 'zod']);
    expect(loaded.filter((m) => m.includes('/sandbox/') || m.includes('/demo/'))).toEqual([]);
  });

  it('the sandbox and the demo are where the testkit is used', () => {
    expect(importsOf(join(src, 'sandbox', 'index.ts'))).toContain('@portrait/testkit');
    expect(importsOf(join(src, 'demo', 'index.ts'))).toContain('@portrait/testkit');
  });
});
