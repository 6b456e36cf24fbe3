import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { assertConnector, type Connector } from '@portrait/connector-sdk';
import { PORTRAIT_CONFIG, type PortraitConfig } from '../../engine/config/portrait-config.js';
import { SyncException } from './sync.exception.js';

/** Connectors built into the running app (passed to `PortraitCoreModule.forRoot({ connectors })`). */
export const BUILTIN_CONNECTORS = Symbol('BUILTIN_CONNECTORS');

/**
 * Every connector this process can run: the built-in ones, then the packages named in
 * PORTRAIT_PLUGINS, imported at start-up and checked with `assertConnector`. A package that is not
 * installed, not a connector, or that reuses an id stops the start with an error naming it.
 */
@Injectable()
export class PluginRegistry implements OnModuleInit {
  private readonly logger = new Logger(PluginRegistry.name);
  private readonly connectors = new Map<string, Connector>();

  constructor(
    @Inject(BUILTIN_CONNECTORS) builtIn: readonly Connector[],
    @Inject(PORTRAIT_CONFIG) private readonly config: PortraitConfig,
  ) {
    for (const connector of builtIn) this.register(assertConnector(connector, `built-in connector "${connector.manifest?.id}"`), 'built-in');
  }

  async onModuleInit(): Promise<void> {
    for (const packageName of this.config.plugins) await this.load(packageName);
  }

  /**
   * Imports a connector package and registers it. `specifier` is a package name — resolved from the
   * core, then from the working directory (where the app that lists it is installed) — or a path
   * to a module file (absolute, or relative to the working directory).
   */
  async load(specifier: string): Promise<Connector> {
    let loaded: unknown;
    try {
      loaded = await importPlugin(specifier);
    } catch (error) {
      throw new SyncException(
        'PLUGIN_LOAD_FAILED',
        isNotFound(error, specifier)
          ? `plugin "${specifier}" (PORTRAIT_PLUGINS) is not installed: add it to the app's dependencies`
          : `plugin "${specifier}" (PORTRAIT_PLUGINS) failed to load: ${(error as Error).message}`,
        { package: specifier },
      );
    }
    let connector: Connector;
    try {
      connector = assertConnector(loaded, `plugin "${specifier}"`);
    } catch (error) {
      throw new SyncException('PLUGIN_LOAD_FAILED', (error as Error).message, { package: specifier });
    }
    this.register(connector, specifier);
    return connector;
  }

  get(connectorId: string): Connector {
    const connector = this.connectors.get(connectorId);
    if (!connector) {
      throw new SyncException('CONNECTOR_NOT_FOUND', `no connector "${connectorId}" is installed (installed: ${[...this.connectors.keys()].join(', ') || 'none'})`, {
        connectorId,
      });
    }
    return connector;
  }

  has(connectorId: string): boolean {
    return this.connectors.has(connectorId);
  }

  list(): Connector[] {
    return [...this.connectors.values()];
  }

  private register(connector: Connector, origin: string): void {
    const { id } = connector.manifest;
    const existing = this.connectors.get(id);
    if (existing && existing !== connector) {
      throw new SyncException('PLUGIN_LOAD_FAILED', `${origin} declares connector id "${id}", which another installed connector already uses`, { connectorId: id });
    }
    this.connectors.set(id, connector);
    this.logger.debug(`connector ${id}@${connector.manifest.version} registered (${origin})`);
  }
}

async function importPlugin(specifier: string): Promise<unknown> {
  if (specifier.startsWith('file:')) return import(specifier);
  if (specifier.startsWith('.') || isAbsolute(specifier)) return import(pathToFileURL(resolve(specifier)).href);
  try {
    return await import(specifier);
  } catch (error) {
    if (!isNotFound(error, specifier)) throw error;
    // Not a dependency of the core: look where the running app is installed.
    let resolved: string;
    try {
      resolved = createRequire(join(process.cwd(), 'package.json')).resolve(specifier);
    } catch {
      throw error;
    }
    return import(pathToFileURL(resolved).href);
  }
}

function isNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: string }).code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes(specifier);
}
