import type { INestApplicationContext } from '@nestjs/common';
import type { DemoSandbox } from '@portrait/connector-sdk';
import { builtInDemoSandboxes } from '@portrait/connectors/demo';
import { SourcesService, SyncService, WorkspacesService, type PortraitConfig } from '@portrait/core';

export interface RunningDemo {
  /** The demo sources, each with a sync queued for the worker. */
  sources: { id: string; name: string; connectorId: string }[];
  close(): Promise<void>;
}

/**
 * Fills the `demo` workspace: starts each built-in plugin's sandbox, makes sure the workspace has one
 * source per sandbox pointed at it (its configuration brought up to date: a sandbox's port may change
 * between starts) and queues a sync of each, which the worker runs at once and then on the source's
 * schedule. The sandboxes live as long as the calling process.
 */
export async function startDemoSources(app: INestApplicationContext, config: PortraitConfig): Promise<RunningDemo> {
  const workspace = await app.get(WorkspacesService).ensure('demo', 'Demo');
  const sources = app.get(SourcesService);
  const existing = await sources.list(workspace.id);
  const running: DemoSandbox[] = [];
  const demoSources: RunningDemo['sources'] = [];
  try {
    for (const { connectorId, start } of builtInDemoSandboxes) {
      const sandbox = await start({ dataDir: config.dataDir, host: '127.0.0.1' });
      running.push(sandbox);
      const found = existing.find((s) => s.connectorId === connectorId && s.name === sandbox.sourceName);
      const source = found
        ? await sources.update(workspace.id, found.id, { config: sandbox.config })
        : await sources.create(workspace.id, { connectorId, name: sandbox.sourceName, config: sandbox.config });
      if (source.enabled) await app.get(SyncService).enqueue(source.id, { workspaceId: workspace.id });
      demoSources.push({ id: source.id, name: source.name, connectorId });
    }
  } catch (error) {
    await Promise.allSettled(running.map((s) => s.close()));
    throw error;
  }
  return { sources: demoSources, close: async () => void (await Promise.allSettled(running.map((s) => s.close()))) };
}
