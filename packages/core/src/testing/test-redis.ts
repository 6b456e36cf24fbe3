import { connect } from 'node:net';

/** The Redis of a test suite that needs one, and whether the suite can run. */
export interface TestRedis {
  url: string;
  /** False only on a machine without REDIS_URL, outside CI, where no Redis answers at the default address. */
  available: boolean;
}

/**
 * The Redis for suites of the distributed mode: REDIS_URL when set, else the local default. CI (and
 * anyone who sets REDIS_URL) always runs them, and they fail when that Redis does not answer; on a bare
 * machine (the README's test command with only Node.js) without a Redis they are skipped, with a
 * warning naming the suite.
 */
export async function testRedis(suite: string, env: Record<string, string | undefined> = process.env): Promise<TestRedis> {
  const url = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (env.REDIS_URL || env.CI) return { url, available: true };
  const available = await redisAnswers(url);
  if (!available) console.warn(`skipping "${suite}": no Redis answers at ${url} (set REDIS_URL to run it; CI always does)`);
  return { url, available };
}

/** Whether Redis replies to PING at `url` within 2 s. */
export function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
