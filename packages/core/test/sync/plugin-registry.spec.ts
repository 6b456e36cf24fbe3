import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connector } from '@portrait/connector-sdk';
import { loadConfig } from '../../src/engine/config/portrait-config.js';
import { PluginRegistry } from '../../src/modules/sync/plugin-registry.js';
import { SyncException } from '../../src/modules/sync/sync.exception.js';
import { createTestCore } from '../../src/testing/index.js';
import { countingConnector, keyedConnector } from './test-connectors.js';

function registry(plugins: string[], builtIn: readonly Connector[] = [keyedConnector as Connector]): PluginRegistry {
  return new PluginRegistry(builtIn, loadConfig({ PORTRAIT_PLUGINS: plugins.join(','), LOG_LEVEL: 'silent' }));
}

async function loadError(plugins: string[]): Promise<SyncException> {
  const error = await registry(plugins)
    .onModuleInit()
    .then(() => undefined)
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SyncException);
  return error as SyncException;
}

describe('plugin registry', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'portrait-plugins-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the built-in connectors and loads the packages named in PORTRAIT_PLUGINS at start-up', async () => {
    const core = await createTestCore({ env: { PORTRAIT_PLUGINS: ' @portrait/plugin-csv ' }, connectors: [keyedConnector, countingConnector] });
    try {
      const plugins = core.app.get(PluginRegistry);
      expect(plugins.list().map((c) => c.manifest.id)).toEqual(['keyed', 'counting', 'csv']);
      expect(plugins.get('csv').manifest.streams.map((s) => s.name)).toEqual(['rows']);
    } finally {
      await core.close();
    }
  });

  it('names a package that is not installed', async () => {
    const error = await loadError(['@portrait/plugin-that-does-not-exist']);
    expect(error.code).toBe('PLUGIN_LOAD_FAILED');
    expect(error.message).toBe(`plugin "@portrait/plugin-that-does-not-exist" (PORTRAIT_PLUGINS) is not installed: add it to the app's dependencies`);
  });

  it('names a package that is not a connector, and says what is wrong with a malformed one', async () => {
    const notAConnector = await loadError(['zod']);
    expect(notAConnector.message).toContain('plugin "zod" is not a valid Portrait connector');

    const malformed = join(dir, 'malformed.mjs');
    writeFileSync(malformed, `export default { manifest: { id: 'Bad Id', name: 'Bad', version: 'one' }, check() {} };\n`);
    const error = await loadError([malformed]);
    expect(error.message).toContain(`plugin "${malformed}" is not a valid Portrait connector`);
    expect(error.message).toMatch(/id/);
    expect(error.message).toMatch(/version/);
    expect(error.message).toMatch(/read/);
  });

  it('refuses two different connectors with one id', () => {
    expect(() => registry([], [countingConnector as Connector, { ...countingConnector } as Connector])).toThrow(
      'declares connector id "counting", which another installed connector already uses',
    );
  });
});
