import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The module hooks a child process needs to run the TypeScript sources (`child/register.mjs` of this package). */
const CHILD_REGISTER = fileURLToPath(new URL('../child/register.mjs', import.meta.url));

/**
 * Forks a test's child process running a TypeScript script from the sources (a sync in another
 * process, killed or not), with workspace packages resolved to their sources, its stderr shown and an
 * IPC channel. `secretKey` is its PORTRAIT_SECRET_KEY (the parent's, to open the source's secrets).
 */
export function forkSourceChild(script: URL, args: string[], secretKey: string): ChildProcess {
  return fork(fileURLToPath(script), args, {
    execArgv: ['--conditions=source', '--import', CHILD_REGISTER],
    env: { ...process.env, PORTRAIT_SECRET_KEY: secretKey },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}
