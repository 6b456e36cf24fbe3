import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished, pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { IngestService, loadConfig, PortraitCoreModule, runMigrations, WorkspacesService } from '@portrait/core';
import { mb, measured, numberArg, printTable, type CpuTime } from '../lib/measure.js';
import { factBatches, peopleFor, SOURCES } from './population.js';

/**
 * pnpm bench:ingest — Portrait's ingest against the physical limit of the same database.
 *
 * (a) baseline: the same facts and events, generated the same way, COPY'd into plain tables;
 * (b) Portrait: every fact through IngestService (validation, identity resolution, trait merge,
 *     events, computed traits), in batches of --batch facts, as a sync would send them; the three
 *     sources sync at once, each its batches in order, as the worker runs them (--sources=sequential:
 *     one after the other).
 * (c) write floor: the rows (b) left in Portrait's tables, COPY'd from files into the same tables of an
 *     empty database (same schema, keys and indexes), in two streams as (a) uses: what writing that end
 *     state costs with no lookup, resolution, conflict check or update — the fastest any ingest producing
 *     it could be. Its dump files go to the system's temporary directory (about 2.6 GB at 1M facts) and
 *     are removed after.
 * Each phase runs in its own child process so that its peak RSS is its own. Each also reports the CPU time
 * its timed part took on all of this machine's cores (a local database's work included) and in its own
 * process; with a local database the bench compares them with what the target (25% of raw COPY's rate)
 * leaves to spend.
 *
 *   pnpm bench:ingest [--facts=1000000] [--batch=1000] [--sources=concurrent|sequential]   (DATABASE_URL or the local PostgreSQL)
 */

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SCRATCH = 'portrait_bench_ingest';
/** The empty database the write floor phase loads the ingest's rows into. */
const FLOOR = 'portrait_bench_ingest_floor';
const facts = numberArg('facts', 1_000_000);
const batchSize = numberArg('batch', 1000);
/** --sources=sequential: one source's sync after the other, instead of the three at once (concurrent). */
const sourcesMode = process.argv.find((a) => a.startsWith('--sources='))?.slice(10) ?? 'concurrent';
if (sourcesMode !== 'concurrent' && sourcesMode !== 'sequential') throw new Error(`--sources must be concurrent or sequential, got ${sourcesMode}`);
const concurrentSources = sourcesMode === 'concurrent';
const people = peopleFor(facts);
/** The target: the ingest's rate as a share of raw COPY's. */
const TARGET_SHARE = 0.25;
/** The machine's CPU counts the database's work only when the database runs on it. */
const databaseIsLocal = ['127.0.0.1', 'localhost', '[::1]', ''].includes(new URL(BASE_URL).hostname);

interface PhaseResult {
  phase: string;
  facts: number;
  events: number;
  ms: number;
  peakRss: number;
  cpu: CpuTime;
  profiles?: number;
  merged?: number;
}

function scratchUrl(database = SCRATCH): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The COPY text format's escaping of one field. */
const field = (v: string) => v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

async function copyPhase(): Promise<PhaseResult> {
  const factsClient = new pg.Client(scratchUrl());
  const eventsClient = new pg.Client(scratchUrl());
  await Promise.all([factsClient.connect(), eventsClient.connect()]);
  await factsClient.query(`CREATE TABLE bench_facts (source text, external_id text, kind text, identities jsonb, traits jsonb, observed_at timestamptz)`);
  await factsClient.query(`CREATE TABLE bench_events (source text, external_id text, type text, occurred_at timestamptz, properties jsonb, dedupe_key text)`);
  let factCount = 0;
  let eventCount = 0;
  const { ms, peakRss, cpu } = await measured(async () => {
    const factsCopy = factsClient.query(copyFrom(`COPY bench_facts FROM STDIN`));
    const eventsCopy = eventsClient.query(copyFrom(`COPY bench_events FROM STDIN`));
    const write = async (stream: Writable, chunk: string) => {
      if (!stream.write(chunk)) await once(stream, 'drain');
    };
    for (const batch of factBatches(people, batchSize)) {
      let factChunk = '';
      let eventChunk = '';
      for (const f of batch) {
        factCount++;
        factChunk += `${field(f.source)}\t${field(f.externalId)}\tperson\t${field(JSON.stringify(f.identities))}\t${field(JSON.stringify(f.traits))}\t${f.observedAt}\n`;
        for (const e of f.events ?? []) {
          eventCount++;
          eventChunk += `${field(f.source)}\t${field(f.externalId)}\t${field(e.type)}\t${e.occurredAt}\t${field(JSON.stringify(e.properties))}\t${field(e.dedupeKey ?? '')}\n`;
        }
      }
      await Promise.all([write(factsCopy, factChunk), write(eventsCopy, eventChunk)]);
    }
    await Promise.all([finished(factsCopy.end()), finished(eventsCopy.end())]);
  });
  await Promise.all([factsClient.end(), eventsClient.end()]);
  return { phase: 'raw COPY (baseline)', facts: factCount, events: eventCount, ms, peakRss, cpu };
}

async function ingestPhase(): Promise<PhaseResult> {
  const url = scratchUrl();
  await runMigrations(url);
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' });
  const app = await NestFactory.createApplicationContext(
    PortraitCoreModule.forRoot({ config, databaseUrl: url, appName: 'bench', observability: false }),
    { logger: false },
  );
  const workspaceId = (await app.get(WorkspacesService).create('bench')).id;
  const ingest = app.get(IngestService);
  let factCount = 0;
  let eventCount = 0;
  let merged = 0;
  const rejections: string[] = [];
  // One stream of batches per source when they sync at once, else the sources one after the other.
  const streams = concurrentSources ? SOURCES.map((source) => factBatches(people, batchSize, source)) : [factBatches(people, batchSize)];
  const { ms, peakRss, cpu } = await measured(() =>
    Promise.all(
      streams.map(async (stream) => {
        for (const batch of stream) {
          const result = await ingest.ingest(workspaceId, batch);
          factCount += result.received;
          eventCount += result.eventsInserted;
          merged += result.merged;
          for (const r of result.rejections.slice(0, 5 - rejections.length)) rejections.push(`${r.externalId}: ${r.reason}`);
          if (process.stderr.isTTY) process.stderr.write(`\r  ingest: ${factCount.toLocaleString('en-US')} facts`);
        }
      }),
    ),
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  if (rejections.length) console.error(`rejected facts, e.g.: ${rejections.join('; ')}`);
  await app.close();
  const client = new pg.Client(url);
  await client.connect();
  const { rows } = await client.query(`SELECT count(*)::int AS count FROM profiles WHERE workspace_id = $1 AND kind = 'person' AND merged_into IS NULL`, [
    workspaceId,
  ]);
  await client.end();
  const count: number = rows[0].count;
  return { phase: 'Portrait ingest', facts: factCount, events: eventCount, ms, peakRss, cpu, profiles: count, merged };
}

/**
 * (c): dumps every table the ingest wrote rows to (untimed), then loads the dumps into the empty
 * database's tables — the workspace row first (untimed), then, timed, the tables in two streams balanced
 * by size; a table with a foreign key to another loaded table (other than workspaces) after those.
 */
async function floorPhase(): Promise<PhaseResult> {
  await runMigrations(scratchUrl(FLOOR));
  const source = new pg.Client(scratchUrl());
  const targets = [new pg.Client(scratchUrl(FLOOR)), new pg.Client(scratchUrl(FLOOR))] as const;
  await Promise.all([source.connect(), ...targets.map((t) => t.connect())]);
  const dir = await mkdtemp(join(tmpdir(), 'portrait-bench-floor-'));
  try {
    // Portrait's tables, as the migrations made them in the empty database (the ingest's also holds (a)'s).
    const { rows: tables } = await targets[0].query<{ name: string; refs: string[] }>(
      `SELECT c.relname AS name,
              coalesce((SELECT array_agg(DISTINCT f.confrelid::regclass::text) FROM pg_constraint f
                        WHERE f.conrelid = c.oid AND f.contype = 'f' AND f.confrelid <> c.oid), '{}') AS refs
       FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname <> 'portrait_migrations'`,
    );
    const written: { name: string; refs: string[]; file: string; bytes: number }[] = [];
    for (const table of tables) {
      const file = join(dir, `${table.name}.copy`);
      await pipeline(source.query(copyTo(`COPY ${table.name} TO STDOUT`)), createWriteStream(file));
      const { size } = await stat(file);
      if (size > 0) written.push({ ...table, file, bytes: size });
    }
    const load = async (client: pg.Client, table: { name: string; file: string }) => {
      await pipeline(createReadStream(table.file), client.query(copyFrom(`COPY ${table.name} FROM STDIN`)));
    };
    const workspaces = written.find((t) => t.name === 'workspaces');
    if (workspaces) await load(targets[0], workspaces);
    const loaded = new Set(written.map((t) => t.name));
    const rest = written.filter((t) => t !== workspaces);
    const later = rest.filter((t) => t.refs.some((r) => r !== 'workspaces' && loaded.has(r)));
    const streams: (typeof rest)[] = [[], []];
    const size = (list: typeof rest) => list.reduce((n, t) => n + t.bytes, 0);
    for (const table of rest.filter((t) => !later.includes(t)).sort((a, b) => b.bytes - a.bytes)) {
      streams[size(streams[0]!) <= size(streams[1]!) ? 0 : 1]!.push(table);
    }
    const { ms, peakRss, cpu } = await measured(async () => {
      await Promise.all(
        streams.map(async (list, n) => {
          for (const table of list) await load(targets[n as 0 | 1], table);
        }),
      );
      for (const table of later) await load(targets[0], table);
    });
    const { rows } = await targets[0].query(`SELECT (SELECT count(*) FROM events)::int AS events`);
    return { phase: 'write floor: its rows, COPY into its tables', facts: 0, events: rows[0].events, ms, peakRss, cpu };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await Promise.all([source.end(), ...targets.map((t) => t.end())]);
  }
}

/** Runs one phase in a child process and returns what it printed as its last line. */
async function runChild(phase: string): Promise<PhaseResult> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), `--phase=${phase}`, ...process.argv.slice(2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`the ${phase} phase exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main() {
  const phase = process.argv.find((a) => a.startsWith('--phase='))?.slice(8);
  if (phase) {
    const result = phase === 'copy' ? await copyPhase() : phase === 'floor' ? await floorPhase() : await ingestPhase();
    console.log(JSON.stringify(result));
    return;
  }
  const admin = new pg.Client(BASE_URL);
  await admin.connect();
  for (const database of [SCRATCH, FLOOR]) {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
  }
  console.log(
    `ingest benchmark: ${people.toLocaleString('en-US')} people, batches of ${batchSize} facts, ${concurrentSources ? 'the 3 sources at once' : 'one source after the other'}, on ${new URL(BASE_URL).host}`,
  );
  try {
    const copy = await runChild('copy');
    const ingest = await runChild('ingest');
    // The floor writes the end state of the ingest's facts.
    const floor = { ...(await runChild('floor')), facts: ingest.facts };
    const rate = (r: PhaseResult) => r.facts / (r.ms / 1000);
    printTable(
      [copy, ingest, floor].map((r) => ({
        phase: r.phase,
        facts: r.facts,
        events: r.events,
        seconds: r.ms / 1000,
        'facts/s': Math.round(rate(r)),
        'peak RSS MB': mb(r.peakRss),
        'CPU s, machine': r.cpu.machineMs / 1000,
        'CPU s, bench process': r.cpu.processMs / 1000,
      })),
    );
    console.log(`ratio: Portrait ingest runs at ${((rate(ingest) / rate(copy)) * 100).toFixed(1)}% of raw COPY (target >= ${TARGET_SHARE * 100}%)`);
    console.log(
      `write floor: COPY of the rows the ingest wrote, into the same empty tables and indexes, runs at ${((rate(floor) / rate(copy)) * 100).toFixed(1)}% of raw COPY; the ingest runs at ${((rate(ingest) / rate(floor)) * 100).toFixed(1)}% of that floor`,
    );
    if (databaseIsLocal) {
      // What the target leaves to spend: its wall time on every core of this machine (the database's included).
      const seconds = copy.ms / 1000 / TARGET_SHARE;
      const budget = seconds * ingest.cpu.cores;
      const floorDatabase = (floor.cpu.machineMs - floor.cpu.processMs) / 1000;
      const ingestProcess = ingest.cpu.processMs / 1000;
      console.log(
        `CPU: at ${TARGET_SHARE * 100}% of raw COPY the ingest would take ${seconds.toFixed(1)} s: at most ${budget.toFixed(0)} core-seconds on this machine's ${ingest.cpu.cores} cores; it used ${(ingest.cpu.machineMs / 1000).toFixed(0)}. ` +
          `The database's part of the floor took ${floorDatabase.toFixed(0)}, the ingest's process (which also generates the facts) ${ingestProcess.toFixed(0)}: ` +
          `${(((floorDatabase + ingestProcess) / budget) * 100).toFixed(0)}% of that budget before any lookup, conflict check or recompute`,
      );
    }
    console.log(`peak RSS of the ingest process: ${mb(ingest.peakRss)} MB (target < 512 MB)`);
    console.log(`profiles: ${ingest.profiles!.toLocaleString('en-US')} live person profiles; true people: ${people.toLocaleString('en-US')} -> ${ingest.profiles === people ? 'equal' : 'DIFFERENT'}`);
  } finally {
    for (const database of [SCRATCH, FLOOR]) await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  }
}

await main();
