import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { loadConfig, PersonaDiscoveryService, PortraitCoreModule, runMigrations, WorkspacesService } from '@portrait/core';
import { adjustedRandIndex, insertPlantedPopulation, plantedPerson, plantedPopulation } from '@portrait/core/testing';
import { measured, numberArg, printTable, timed } from '../lib/measure.js';

/**
 * pnpm bench:discovery — persona discovery on a large workspace, against a plain read of the same rows.
 *
 * A scratch database gets --profiles people drawn from four planted buyer behaviours (computed traits,
 * country and age, recent e-mail opens and page views; `@portrait/core/testing`). Then, in the same
 * process: the baseline — one plain SELECT of every person's profile row and event counts, read through
 * the driver — and a discovery (k from 2 to 8 by silhouette, centroids fitted on a 20,000-people sample,
 * everyone assigned to the nearest), with its wall time, this process's peak RSS and CPU time, and the
 * adjusted Rand index of its clusters against the planted ones.
 *
 *   pnpm bench:discovery [--profiles=100000]   (DATABASE_URL or the local PostgreSQL)
 */

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SCRATCH = 'portrait_bench_discovery';
const profiles = numberArg('profiles', 100_000);
const CHUNK = 5_000;
const SEED = 42;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

function scratchUrl(): string {
  const url = new URL(BASE_URL);
  url.pathname = `/${SCRATCH}`;
  return url.toString();
}

async function main() {
  const admin = new pg.Client(BASE_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH}`);
  await admin.query(`CREATE DATABASE ${SCRATCH}`);
  const url = scratchUrl();
  try {
    await runMigrations(url);
    const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' });
    const app = await NestFactory.createApplicationContext(PortraitCoreModule.forRoot({ config, databaseUrl: url, appName: 'bench', observability: false }), { logger: false });
    const client = new pg.Client(url);
    await client.connect();
    try {
      const ws = (await app.get(WorkspacesService).create('bench')).id;
      // The planted cluster of each person, by id, kept for the adjusted Rand index.
      const planted = new Map<string, number>();
      const generated = await timed(async () => {
        for (let from = 0; from < profiles; from += CHUNK) {
          const people = plantedPopulation(from, Math.min(from + CHUNK, profiles), SEED);
          for (const p of people) planted.set(p.id, p.cluster);
          await insertPlantedPopulation(client, ws, people);
        }
        await client.query('ANALYZE');
      });
      const [{ events }] = (await client.query(`SELECT count(*)::int AS events FROM events`)).rows;
      console.log(`discovery benchmark: ${profiles.toLocaleString('en-US')} people, ${events.toLocaleString('en-US')} events, on ${new URL(BASE_URL).host}`);
      console.log(`generated in ${(generated.ms / 1000).toFixed(1)} s (${plantedPerson(0, SEED).events.length} events for the first person)`);

      // The baseline: the same rows, read in one plain statement, nothing computed on them.
      const baseline = await measured(async () => {
        const result = await client.query(
          `SELECT p.id, p.computed, p.traits, p.typology,
                  (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'email_opened' AND e.occurred_at >= now() - interval '90 days') AS mail,
                  (SELECT count(*) FROM events e WHERE e.profile_id = p.id AND e.type = 'page_viewed' AND e.occurred_at >= now() - interval '30 days') AS web
           FROM profiles p WHERE p.workspace_id = $1 AND p.kind = 'person' AND p.merged_into IS NULL`,
          [ws],
        );
        return result.rowCount;
      });
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      const discovery = app.get(PersonaDiscoveryService);
      const run = await measured(() => discovery.discover(ws, { minK: 2, maxK: 8, seed: 1, sampleSize: 20_000 }));
      const { summary, drafts, ids, labels } = run.result;
      const ari = adjustedRandIndex(labels, ids.map((id) => planted.get(id)!));
      printTable([
        { step: 'plain read of the rows (baseline)', seconds: baseline.ms / 1000, 'peak RSS MB': mb(baseline.peakRss), 'process CPU s': baseline.cpu.processMs / 1000 },
        { step: 'discovery', seconds: run.ms / 1000, 'peak RSS MB': mb(run.peakRss), 'process CPU s': run.cpu.processMs / 1000 },
      ]);
      const best = summary.silhouettes.find((s) => s.k === summary.k)!;
      console.log(
        `discovery / baseline: ${(run.ms / baseline.ms).toFixed(2)}x the time; peak RSS ${mb(run.peakRss)} MB (${mb(run.peakRss - rssBefore)} MB above the ${mb(rssBefore)} MB before it); ` +
          `k = ${summary.k} (silhouette ${best.silhouette}), ${drafts.length} drafts, sizes ${drafts.map((d) => d.size).join(' / ')}, fitted on ${summary.sampleSize.toLocaleString('en-US')}; ` +
          `adjusted Rand index against the planted clusters ${ari.toFixed(3)}`,
      );
    } finally {
      await client.end();
      await app.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
