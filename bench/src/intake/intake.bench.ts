import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { ApiKeysService, loadConfig, PortraitCoreModule, runMigrations, WorkspacesService } from '@portrait/core';
import { numberArg, printTable } from '../lib/measure.js';

/**
 * pnpm bench:intake — the tracking intake: how many events/s `POST /v1/batch` accepts into the durable
 * intake log, next to a bare Fastify route doing the same validation and one multi-row INSERT into a
 * table of the same shape (the ratio is the figure); then how fast the worker drains the backlog into
 * profiles, the end-to-end lag (accepted → on the profile) at half the sustained rate, and a run at
 * that rate during which the API and the worker are each killed with SIGKILL and started again,
 * counting acknowledged events lost and events stored twice.
 *
 * A scratch database; the API (with REDIS_URL, so that it only appends: the worker drains), the
 * worker and the baseline each in a child process. `wrk` (with a Lua script making 15-message batches
 * of unique messageIds) drives the acceptance runs with 50 connections; the lag and kill runs are
 * paced by this process.
 *
 *   pnpm bench:intake [--duration=10]   (DATABASE_URL or the local PostgreSQL; REDIS_URL or the local Redis; /usr/bin/wrk)
 *   BENCH_CPU_PROF_DIR=/tmp/prof pnpm bench:intake   (V8 CPU profiles of the servers and the worker)
 */

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SCRATCH = 'portrait_bench_intake';
const CONNECTIONS = 50;
const BATCH = 15;
const USERS = 20_000;
const duration = numberArg('duration', 10);
const API_PORT = 45_000 + (process.pid % 1000);
const WORKER_PORT = API_PORT + 1000;
const TARGET_ACCEPTED = 20_000;
const TARGET_DRAIN = 10_000;
const TARGET_P95_LAG_MS = 2000;
const exec = promisify(execFile);

type Proc = { name: string; child: ChildProcess; url?: string };

function scratchUrl(): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${SCRATCH}`;
  return url.toString();
}

/** Starts an entry point in a child process; for servers, waits for the URL it prints. */
async function start(name: string, file: string, env: Record<string, string>, printsUrl: boolean): Promise<Proc> {
  // BENCH_CPU_PROF_DIR: each child writes a V8 CPU profile there when it exits cleanly (not when killed).
  const profile = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, file], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  if (!printsUrl) {
    child.stdout!.resume();
    return { name, child };
  }
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve(JSON.parse(line).url);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`${name} exited with ${code} before listening`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
  child.stdout!.resume();
  return { name, child, url };
}

async function stop(proc: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = once(proc.child, 'exit');
  proc.child.kill(signal);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not become healthy`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The wrk script: every request a batch of 15 track calls of random users, each with a messageId of its own. */
function luaScript(key: string, prefix: string): string {
  return `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${key}"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
function init(args)
  math.randomseed(os.time() + tid)
end
request = function()
  counter = counter + 1
  local msgs = {}
  for i = 1, ${BATCH} do
    msgs[i] = string.format('{"type":"track","userId":"u-%d","event":"Clicked","messageId":"${prefix}-%d-%d-%d","properties":{"i":%d}}', math.random(1, ${USERS}), tid, counter, i, i)
  end
  return wrk.format(nil, "/v1/batch", nil, '{"batch":[' .. table.concat(msgs, ",") .. ']}')
end
`;
}

interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

async function wrk(url: string, key: string, prefix: string, seconds: number): Promise<WrkResult> {
  const script = join(tmpdir(), `portrait-intake-${process.pid}-${prefix}.lua`);
  writeFileSync(script, luaScript(key, prefix));
  const { stdout } = await exec('/usr/bin/wrk', ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, url], { maxBuffer: 1 << 20 }).finally(() => rmSync(script, { force: true }));
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]),
    p50Ms: toMs(/^\s+50%\s+(\S+)/m.exec(stdout)?.[1] ?? ''),
    p99Ms: toMs(/^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? ''),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    errors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

/** A 15-message batch whose messageIds are `${prefix}-${n}-${i}`. */
function batchBody(prefix: string, n: number): string {
  const batch = Array.from({ length: BATCH }, (_, i) => ({ type: 'track', userId: `u-${1 + Math.floor(Math.random() * USERS)}`, event: 'Clicked', messageId: `${prefix}-${n}-${i}` }));
  return JSON.stringify({ batch });
}

/**
 * Sends batches at `eventsPerSecond` for `seconds` (at most 200 in flight); resolves with, per batch
 * number, when it was acknowledged (undefined: refused or never answered).
 */
async function paced(
  baseUrl: () => string,
  key: string,
  prefix: string,
  eventsPerSecond: number,
  seconds: number,
  acked = new Map<number, number>(),
): Promise<{ sent: number; acked: Map<number, number> }> {
  const batchesPerSecond = eventsPerSecond / BATCH;
  const total = Math.floor(batchesPerSecond * seconds);
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let n = 0; n < total; n++) {
    const due = started + (n / batchesPerSecond) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    while (inFlight.size >= 200) await Promise.race(inFlight);
    const p = fetch(`${baseUrl()}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: batchBody(prefix, n), signal: AbortSignal.timeout(10_000) })
      .then(async (r) => {
        await r.arrayBuffer();
        if (r.status === 200) acked.set(n, performance.now());
      })
      .catch(() => undefined)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  return { sent: total, acked };
}

async function backlog(client: pg.Client): Promise<number> {
  return Number((await client.query(`SELECT count(*)::int AS n FROM intake_log`)).rows[0].n);
}

async function waitDrained(client: pg.Client, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await backlog(client)) === 0) return true;
    await sleep(100);
  }
  return false;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main() {
  const admin = new pg.Client(BASE_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${SCRATCH}`);
  const url = scratchUrl();
  const procs: Proc[] = [];
  const client = new pg.Client(url);
  try {
    await runMigrations(url);
    await client.connect();
    await client.query(`CREATE TABLE bench_intake_baseline (LIKE intake_log INCLUDING ALL)`);
    const config = loadConfig({ ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' });
    const core = await NestFactory.createApplicationContext(PortraitCoreModule.forRoot({ config, databaseUrl: url, appName: 'bench', observability: false }), { logger: false });
    const workspaceId = (await core.get(WorkspacesService).create('bench')).id;
    // The highest limit a key may have, so that the benchmark measures the intake rather than the rate limiter.
    const { key } = await core.get(ApiKeysService).create(workspaceId, { name: 'bench', scopes: ['events:write'], rateLimitPerMinute: 1_000_000 });
    await core.close();

    const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
    const workerMain = fileURLToPath(new URL('../../../apps/worker/dist/main.js', import.meta.url));
    const env = { DATABASE_URL: url, LOG_LEVEL: 'silent', BENCH_WORKSPACE_ID: workspaceId };
    const apiEnv = { ...env, REDIS_URL, BENCH_PORT: String(API_PORT) };
    const workerEnv = { ...env, REDIS_URL: '', WORKER_PORT: String(WORKER_PORT) };
    const baseline = await start('baseline', here('./intake-baseline-server.js'), env, true);
    procs.push(baseline);
    let api = await start('api', here('./intake-api-server.js'), apiEnv, true);
    procs.push(api);
    const apiUrl = api.url!;

    console.log(
      `intake benchmark: POST /v1/batch of ${BATCH} track messages (${USERS.toLocaleString('en-US')} users), wrk ${CONNECTIONS} connections, ` +
        `${duration} s per run after 2 s of warm-up, database pool ${config.databasePoolSize}, ${availableParallelism()} cores shared by wrk, the servers, the worker and PostgreSQL`,
    );
    // 1. Acceptance: baseline, then the API (no processor runs: the log only fills).
    await wrk(baseline.url!, key, 'wb', 2);
    const base = await wrk(baseline.url!, key, 'b', duration);
    await wrk(apiUrl, key, 'wa', 2);
    const accepted = await wrk(apiUrl, key, 'a', duration);
    const rows: Record<string, string | number>[] = [baseline, api].map((server) => {
      const r = server === baseline ? base : accepted;
      return {
        server: server.name,
        'batches/s': Math.round(r.requestsPerSecond),
        'events/s': Math.round(r.requestsPerSecond * BATCH),
        'p50 ms': r.p50Ms,
        'p99 ms': r.p99Ms,
        'vs baseline': `${((r.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(1)}%`,
        'non-2xx': r.non2xx,
        'socket errors': r.errors,
      };
    });
    printTable(rows);
    const acceptedEvents = accepted.requestsPerSecond * BATCH;
    // A fresh API for the rest (the first one's CPU profile, when asked for, is written as it stops).
    await stop(api);
    api = await start('api', here('./intake-api-server.js'), apiEnv, true);
    procs.push(api);

    // 2. Drain: the worker empties the backlog the runs left.
    const pending = await backlog(client);
    let worker = await start('worker', workerMain, workerEnv, false);
    procs.push(worker);
    await waitHealthy(`http://127.0.0.1:${WORKER_PORT}`);
    const drainStart = performance.now();
    const drained = await waitDrained(client, 600_000);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const drainRate = pending / drainSeconds;
    console.log(`drain: ${pending.toLocaleString('en-US')} events into profiles in ${drainSeconds.toFixed(1)} s = ${Math.round(drainRate).toLocaleString('en-US')} events/s${drained ? '' : ' (NOT fully drained)'}`);

    // 3. Lag at half the sustained rate: accepted → the batch's events on the profile (polled every 25 ms).
    const half = Math.round(acceptedEvents / 2);
    const seen = new Map<number, number>();
    const lagAcked = new Map<number, number>();
    let polling = true;
    const poller = (async () => {
      const poll = new pg.Client(url);
      await poll.connect();
      while (polling) {
        // The first message of each acknowledged batch not seen yet (a batch is stored whole or not at all).
        const waiting = [...lagAcked.keys()].filter((n) => !seen.has(n)).map((n) => `lag-${n}-0`);
        const { rows } = waiting.length
          ? await poll.query<{ k: string }>(`SELECT dedupe_key AS k FROM events WHERE workspace_id = $1 AND source = 'api' AND dedupe_key = ANY($2)`, [workspaceId, waiting])
          : { rows: [] as { k: string }[] };
        const now = performance.now();
        for (const { k } of rows) {
          const n = Number(k.split('-')[1]);
          if (!seen.has(n)) seen.set(n, now);
        }
        await sleep(25);
      }
      await poll.end();
    })();
    const lagRun = await paced(() => apiUrl, key, 'lag', half, duration, lagAcked);
    await waitDrained(client, 60_000);
    await sleep(500);
    polling = false;
    await poller;
    const lags = [...lagRun.acked].filter(([n]) => seen.has(n)).map(([n, at]) => Math.max(0, seen.get(n)! - at)).sort((x, y) => x - y);
    const unseen = lagRun.acked.size - lags.length;
    const p50 = percentile(lags, 50);
    const p95 = percentile(lags, 95);
    console.log(
      `lag at ${half.toLocaleString('en-US')} events/s (half the sustained rate) for ${duration} s: ${lagRun.acked.size} of ${lagRun.sent} batches acknowledged; ` +
        `accepted → on the profile p50 ${Math.round(p50)} ms, p95 ${Math.round(p95)} ms${unseen ? ` (${unseen} acknowledged batches never seen by the poller)` : ''}`,
    );

    // 4. Kills: the same pace; the API SIGKILLed at 30% of the run and the worker at 60%, each started again.
    const killSeconds = Math.max(10, duration);
    let currentApi = apiUrl;
    const run = paced(() => currentApi, key, 'kill', half, killSeconds);
    await sleep(killSeconds * 300);
    await stop(api, 'SIGKILL');
    api = await start('api', here('./intake-api-server.js'), apiEnv, true);
    procs.push(api);
    currentApi = api.url!;
    await sleep(killSeconds * 300);
    await stop(worker, 'SIGKILL');
    worker = await start('worker', workerMain, workerEnv, false);
    procs.push(worker);
    const killed = await run;
    const killDrained = await waitDrained(client, 300_000);
    const stored = await client.query<{ batch: number; events: number; keys: number }>(
      `SELECT split_part(dedupe_key, '-', 2)::int AS batch, count(*)::int AS events, count(DISTINCT dedupe_key)::int AS keys
       FROM events WHERE workspace_id = $1 AND source = 'api' AND dedupe_key LIKE 'kill-%' GROUP BY 1`,
      [workspaceId],
    );
    const byBatch = new Map(stored.rows.map((r) => [r.batch, r]));
    let lost = 0;
    let doubled = 0;
    let partial = 0;
    for (const n of killed.acked.keys()) lost += BATCH - (byBatch.get(n)?.keys ?? 0);
    for (const r of stored.rows) {
      doubled += r.events - r.keys;
      if (r.keys !== BATCH) partial++;
    }
    const storedUnacked = stored.rows.filter((r) => !killed.acked.has(r.batch)).length;
    console.log(
      `kill -9 of the API at ${Math.round(killSeconds * 0.3)} s and of the worker at ${Math.round(killSeconds * 0.6)} s of a ${killSeconds} s run at ${half.toLocaleString('en-US')} events/s: ` +
        `${killed.acked.size} of ${killed.sent} batches acknowledged (${storedUnacked} unacknowledged ones stored whole); ` +
        `acknowledged events lost: ${lost}; events stored twice: ${doubled}; batches stored in part: ${partial}${killDrained ? '' : ' (the log was NOT drained)'}`,
    );

    console.log(
      [
        `accepted: ${Math.round(acceptedEvents).toLocaleString('en-US')} events/s, ${((accepted.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(1)}% of the baseline, p99 ${accepted.p99Ms} ms (target >= ${TARGET_ACCEPTED.toLocaleString('en-US')}: ${acceptedEvents >= TARGET_ACCEPTED ? 'met' : 'NOT met'})`,
        `drain: ${Math.round(drainRate).toLocaleString('en-US')} events/s (target >= ${TARGET_DRAIN.toLocaleString('en-US')}: ${drainRate >= TARGET_DRAIN ? 'met' : 'NOT met'})`,
        `lag p95: ${Math.round(p95)} ms (target < ${TARGET_P95_LAG_MS} ms: ${p95 < TARGET_P95_LAG_MS ? 'met' : 'NOT met'})`,
        `kills: ${lost} lost, ${doubled} doubled, ${partial} partial (target 0: ${lost + doubled + partial === 0 ? 'met' : 'NOT met'})`,
      ].join('\n'),
    );
  } finally {
    for (const proc of procs) await stop(proc);
    await client.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
