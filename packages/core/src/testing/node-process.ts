import { spawn, type ChildProcess } from 'node:child_process';

/** A Node process a test started: its output so far, and how to stop it. */
export interface TestProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
  stop: () => Promise<void>;
}

/**
 * Starts `script` with Node and `env` (Node options cleared), and waits until `readyUrl` answers 2xx
 * (20 s at most; the process's output is in the error otherwise).
 */
export async function startNodeProcess(script: string, env: Record<string, string | undefined>, readyUrl: string): Promise<TestProcess> {
  const child = spawn(process.execPath, [script], { env: { ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${output}`);
    if (await fetch(readyUrl).then((r) => r.ok, () => false)) return { child, output: () => output, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not answer ${readyUrl} within 20 s:\n${output}`);
}
