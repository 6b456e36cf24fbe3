import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AdminUsersService, createLogger, embeddedSecretKey, prepareRuntime, WorkspacesService } from '@portrait/core';
import { startDemoSources } from './demo-sources.js';
import { withCoreAt } from './with-core.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The first owner of the demo workspace on the embedded database. */
export const DEMO_OWNER_EMAIL = 'owner@demo.portrait.local';

interface AppProcess {
  name: 'admin' | 'api' | 'worker';
  port: number;
  child?: ChildProcess;
}

/**
 * `portrait start`: the whole of Portrait on one machine. Owns the database (the embedded one unless
 * DATABASE_URL is set), makes sure the `demo` workspace exists, runs admin, API and worker as child
 * processes pointed at that database, and stops them all cleanly on Ctrl-C. On the embedded database
 * (unless PORTRAIT_DEMO=0) the demo workspace gets a source per built-in sandbox, synced by the worker,
 * and, on the first start, a first owner whose one-time sign-in is printed with the addresses.
 */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run admin, API and worker together (embedded database unless DATABASE_URL is set)')
    .action(async () => {
      const runtime = await prepareRuntime('start');
      const { database } = runtime;
      // On the embedded database, a key kept in the data directory seals secrets unless one is given.
      const secretKey = runtime.config.secretKey ?? (database.mode === 'external' ? undefined : embeddedSecretKey(runtime.config.dataDir));
      const config = { ...runtime.config, secretKey };
      const logger = createLogger(config, 'portrait');

      // The demo sources read from sandboxes that live in this process; only the embedded mode has them.
      const withDemo = database.mode === 'embedded' && config.demo;
      const { demo, owner } = await withCoreAt(config, database.url, async (app) => {
        const workspace = await app.get(WorkspacesService).ensure('demo', 'Demo');
        const owner = database.mode === 'embedded' ? await firstDemoOwner(app.get(AdminUsersService), workspace.id) : undefined;
        return { demo: withDemo ? await startDemoSources(app, config) : undefined, owner };
      });

      const apps: AppProcess[] = [
        { name: 'admin', port: config.adminPort },
        { name: 'api', port: config.apiPort },
        { name: 'worker', port: config.workerPort },
      ];
      let stopping = false;
      const stop = async (code: number) => {
        if (stopping) return;
        stopping = true;
        await Promise.all(apps.map((app) => terminate(app.child)));
        await demo?.close();
        await database.release();
        process.exit(code);
      };
      process.on('SIGINT', () => void stop(0));
      process.on('SIGTERM', () => void stop(0));

      for (const app of apps) {
        app.child = spawn(process.execPath, [join(REPO_ROOT, 'apps', app.name, 'dist', 'main.js')], {
          stdio: 'inherit',
          env: {
            ...process.env,
            DATABASE_URL: database.url,
            ...(secretKey ? { PORTRAIT_SECRET_KEY: secretKey } : {}),
            DATABASE_POOL_SIZE: String(database.mode === 'external' ? config.databasePoolSize : 4),
          },
        });
        app.child.on('exit', (code, signal) => {
          if (stopping) return;
          logger.error({ app: app.name, code, signal }, `${app.name} stopped unexpectedly; stopping Portrait`);
          void stop(1);
        });
      }

      await Promise.all(apps.map((app) => waitForHealth(config.host, app.port)));
      const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
      const where = database.mode === 'embedded' ? `embedded PostgreSQL in ${config.dataDir}/` : 'PostgreSQL at DATABASE_URL';
      process.stdout.write(
        [
          '',
          `  Portrait is running (${where}). Press Ctrl-C to stop.`,
          `    Admin   http://${host}:${config.adminPort}/`,
          `    API     http://${host}:${config.apiPort}/`,
          `    Worker  http://${host}:${config.workerPort}/healthz`,
          `    Workspace: demo${demo?.sources.length ? ` (syncing: ${demo.sources.map((s) => s.name).join(', ')})` : ''}`,
          ...(owner
            ? [
                `    Admin sign-in (shown this once): ${owner.email} / ${owner.password}`,
                `      (sign in at http://${host}:${config.adminPort}/; more users: pnpm portrait admin create --email … --role … --workspace demo)`,
              ]
            : []),
          '',
        ].join('\n') + '\n',
      );
    });
}

/**
 * Creates the demo workspace's first owner with a generated password when the workspace has no member
 * yet (the first start); undefined afterwards, when the password is no longer known.
 */
async function firstDemoOwner(users: AdminUsersService, workspaceId: string): Promise<{ email: string; password: string } | undefined> {
  if ((await users.members(workspaceId)).length) return undefined;
  const added = await users.addMember(workspaceId, { email: DEMO_OWNER_EMAIL, role: 'owner' });
  return added.password ? { email: added.member.email, password: added.password } : undefined;
}

async function waitForHealth(host: string, port: number, timeoutMs = 60_000): Promise<void> {
  const target = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/healthz`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(target)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${target} did not answer within ${timeoutMs / 1000}s`);
}

function terminate(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
