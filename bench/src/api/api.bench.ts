import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { NestFactory } from '@nestjs/core';
import autocannon from 'autocannon';
import pg from 'pg';
import { ApiKeysService, loadConfig, PortraitCoreModule, runMigrations } from '@portrait/core';
import { numberArg, printTable, timed } from '../lib/measure.js';
import { loadProfiles, profileEmail, profileId } from './profile-population.js';

/**
 * pnpm bench:api — the public API's profile reads against bare Fastify + pg doing the same SELECTs.
 *
 * A scratch database gets --profiles person profiles (one email identity each) by set-based SQL and
 * an API key with profiles:read. The production API app and the baseline server each run in their own
 * child process on a loopback port, with database pools of the same size (DATABASE_POOL_SIZE). For
 * `GET /v1/profiles/{id}` and `GET /v1/profiles/lookup?type=email&value=…`, autocannon drives each
 * server with 50 connections for --duration seconds (after an unreported warm-up), every request for
 * a random existing profile, and the API's throughput is given as a share of the baseline's.
 *
 *   pnpm bench:api [--profiles=1000000] [--duration=10]   (DATABASE_URL or the local PostgreSQL)
 */

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SCRATCH = 'portrait_bench_api';
const CONNECTIONS = 50;
const profiles = numberArg('profiles', 1_000_000);
const duration = numberArg('duration', 10);
const warmup = Math.min(2, duration);
const TARGET_SHARE = 0.6;
const TARGET_P99_MS = 25;

type Server = { name: string; url: string; child: ChildProcessByStdio<null, Readable, null> };

interface Route {
  name: string;
  path: () => string;
}

const randomPerson = () => 1 + Math.floor(Math.random() * profiles);

const ROUTES: Route[] = [
  { name: 'GET /v1/profiles/{id}', path: () => `/v1/profiles/${profileId(randomPerson())}` },
  { name: 'GET /v1/profiles/lookup (email)', path: () => `/v1/profiles/lookup?type=email&value=${encodeURIComponent(profileEmail(randomPerson()))}` },
];

function scratchUrl(): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${SCRATCH}`;
  return url.toString();
}

/** Starts a server entry point of this folder in a child process and waits for the URL it prints. */
async function startServer(name: string, file: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) {
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        resolve(JSON.parse(line).url);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`the ${name} server exited with ${code} before listening`));
    child.stdout.on('data', onData);
    child.once('exit', onExit);
  });
  child.stdout.resume();
  return { name, url, child };
}

async function stopServer(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Both servers must give the same answer for the same profile, or the comparison means nothing. */
async function checkSameAnswers(api: Server, baseline: Server, key: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    for (const route of ROUTES) {
      const path = route.path();
      const [a, b] = await Promise.all([fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${key}` } }), fetch(`${baseline.url}${path}`)]);
      const [aBody, bBody] = await Promise.all([a.json(), b.json()]);
      if (a.status !== 200 || b.status !== 200 || !isDeepStrictEqual(aBody, bBody)) {
        throw new Error(`${path}: the API answered ${a.status} ${JSON.stringify(aBody)}, the baseline ${b.status} ${JSON.stringify(bBody)}`);
      }
    }
  }
}

function load(server: Server, route: Route, seconds: number, headers: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: route.path() }) }],
  });
}

async function main() {
  const admin = new pg.Client(BASE_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${SCRATCH}`);
  const url = scratchUrl();
  const servers: Server[] = [];
  try {
    await runMigrations(url);
    const client = new pg.Client(url);
    await client.connect();
    const loaded = await timed(() => loadProfiles(client, profiles));
    await client.end();
    const workspaceId = loaded.result;

    const config = loadConfig({ ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' });
    const core = await NestFactory.createApplicationContext(PortraitCoreModule.forRoot({ config, databaseUrl: url, appName: 'bench', observability: false }), { logger: false });
    // The highest limit a key may have, so that the benchmark measures the API rather than its rate limiter's refusals.
    const { key } = await core.get(ApiKeysService).create(workspaceId, { name: 'bench', scopes: ['profiles:read'], rateLimitPerMinute: 1_000_000 });
    await core.close();

    const env = { DATABASE_URL: url, LOG_LEVEL: 'silent', BENCH_WORKSPACE_ID: workspaceId };
    servers.push(await startServer('API', './api-server.js', env), await startServer('baseline', './baseline-server.js', env));
    const [api, baseline] = servers as [Server, Server];
    await checkSameAnswers(api, baseline, key);

    console.log(
      `api benchmark: ${profiles.toLocaleString('en-US')} profiles (loaded in ${(loaded.ms / 1000).toFixed(1)} s), ${CONNECTIONS} connections, ` +
        `${duration} s per run after ${warmup} s of warm-up, database pool ${config.databasePoolSize} in both servers, ` +
        `${availableParallelism()} cores shared by the load generator, both servers and ${new URL(BASE_URL).host}`,
    );
    const rows: Record<string, string | number>[] = [];
    const verdicts: string[] = [];
    for (const route of ROUTES) {
      const results = new Map<Server, autocannon.Result>();
      for (const server of [baseline, api]) {
        const headers: Record<string, string> = server === api ? { authorization: `Bearer ${key}` } : {};
        await load(server, route, warmup, headers);
        results.set(server, await load(server, route, duration, headers));
      }
      const base = results.get(baseline)!;
      for (const [server, r] of results) {
        rows.push({
          route: route.name,
          server: server.name,
          'req/s': Math.round(r.requests.average),
          'p50 ms': r.latency.p50,
          'p99 ms': r.latency.p99,
          'vs baseline': `${((r.requests.average / base.requests.average) * 100).toFixed(1)}%`,
          responses: r.requests.total,
          'non-2xx': r.non2xx,
          errors: r.errors,
        });
      }
      const mine = results.get(api)!;
      const share = mine.requests.average / base.requests.average;
      verdicts.push(
        `${route.name}: ${(share * 100).toFixed(1)}% of baseline throughput (target >= ${TARGET_SHARE * 100}%: ${share >= TARGET_SHARE ? 'met' : 'NOT met'}), ` +
          `p99 ${mine.latency.p99} ms (target < ${TARGET_P99_MS} ms: ${mine.latency.p99 < TARGET_P99_MS ? 'met' : 'NOT met'})`,
      );
    }
    printTable(rows);
    for (const v of verdicts) console.log(v);
    const failed = rows.filter((r) => r['non-2xx'] !== 0 || r.errors !== 0);
    console.log(
      failed.length === 0
        ? 'every response was 200'
        : `NOT every response was 200: ${failed.map((r) => `${r.server} ${r.route}: ${r['non-2xx']} non-2xx, ${r.errors} errors`).join('; ')}`,
    );
  } finally {
    for (const server of servers) await stopServer(server);
    await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
