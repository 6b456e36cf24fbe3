import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { loadConfig, PortraitCoreModule, runMigrations, TypologyClassificationService, TypologyService, WorkspacesService } from '@portrait/core';
import { numberArg, timed } from '../lib/measure.js';

/**
 * pnpm bench:typology — classifying a whole workspace against a plain read of the same orders.
 *
 * A scratch database gets --profiles people with 0 to 6 orders each (some with discount codes, line
 * items of a few product types), page views and campaign clicks, generated with set-based SQL. The
 * baseline is one hand-written statement that reads every person's orders and counts them per person
 * (the least a classification must do); then the full classification of the workspace (batches of
 * 5,000 profiles, each one statement and one transaction, written), then the same again with nothing
 * to change. Figures: profiles per second, and the ratio to the baseline.
 *
 *   pnpm bench:typology [--profiles=100000]   (DATABASE_URL or the local PostgreSQL)
 */

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SCRATCH = 'portrait_bench_typology';
const profiles = numberArg('profiles', 100_000);

async function generate(client: pg.Client, ws: string): Promise<void> {
  await client.query(`SELECT setseed(0.42)`);
  await client.query(`INSERT INTO profiles (id, workspace_id, kind) SELECT gen_random_uuid(), $1, 'person' FROM generate_series(1, $2::int)`, [ws, profiles]);
  await client.query(
    `INSERT INTO events (workspace_id, profile_id, origin_profile_id, source, type, occurred_at, properties, dedupe_key)
     SELECT $1, p.id, p.id, 'bench', 'order_placed', now() - (n * 30 + random() * 20) * interval '1 day',
            jsonb_build_object('total', (5 + random() * 200)::int, 'discount_total', CASE WHEN random() < 0.3 THEN 5 ELSE 0 END,
                               'discount_codes', CASE WHEN random() < 0.2 THEN '["SAVE"]'::jsonb ELSE '[]'::jsonb END,
                               'line_items', jsonb_build_array(jsonb_build_object('product_type', (ARRAY['coffee','tea','mugs'])[1 + (random() * 2)::int], 'quantity', 1, 'price', 20))),
            p.id || '-o-' || n
     FROM profiles p CROSS JOIN LATERAL generate_series(1, (abs(hashtext(p.id::text)) % 7)) n
     WHERE p.workspace_id = $1`,
    [ws],
  );
  await client.query(
    `INSERT INTO events (workspace_id, profile_id, origin_profile_id, source, type, occurred_at, properties, dedupe_key)
     SELECT $1, p.id, p.id, 'bench', t.type, now() - random() * interval '200 days', '{}'::jsonb, p.id || '-' || t.type || '-' || n
     FROM profiles p CROSS JOIN (VALUES ('page_viewed'), ('email_clicked'), ('email_opened')) t(type) CROSS JOIN generate_series(1, 2) n
     WHERE p.workspace_id = $1 AND abs(hashtext(p.id::text || t.type)) % 3 = 0`,
    [ws],
  );
  await client.query(`VACUUM ANALYZE`);
}

async function main() {
  const admin = new pg.Client(BASE_URL);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH}`);
  await admin.query(`CREATE DATABASE ${SCRATCH}`);
  const url = new URL(BASE_URL);
  url.pathname = `/${SCRATCH}`;
  try {
    await runMigrations(url.toString());
    const config = loadConfig({ DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' });
    const app = await NestFactory.createApplicationContext(PortraitCoreModule.forRoot({ config, databaseUrl: url.toString(), appName: 'bench', observability: false }), { logger: false });
    const client = new pg.Client(url.toString());
    await client.connect();
    try {
      const ws = (await app.get(WorkspacesService).create('bench')).id;
      const generated = await timed(() => generate(client, ws));
      const [{ events }] = (await client.query(`SELECT count(*)::int AS events FROM events`)).rows;
      console.log(`typology benchmark: ${profiles.toLocaleString('en-US')} people, ${events.toLocaleString('en-US')} events (generated in ${(generated.ms / 1000).toFixed(1)} s), on ${url.host}`);
      const baseline = await timed(() =>
        client.query(`SELECT e.profile_id, count(*) FROM events e JOIN profiles p ON p.id = e.profile_id WHERE p.workspace_id = $1 AND e.type = 'order_placed' GROUP BY e.profile_id`, [ws]),
      );
      const classification = app.get(TypologyClassificationService);
      const first = await timed(() => classification.reclassifyAll(ws));
      const again = await timed(() => classification.reclassifyAll(ws));
      const rate = (ms: number) => Math.round(profiles / (ms / 1000)).toLocaleString('en-US');
      console.log(`baseline (read and count every person's orders): ${baseline.ms.toFixed(0)} ms`);
      console.log(`full classification, written: ${first.ms.toFixed(0)} ms, ${rate(first.ms)} profiles/s, ${(first.ms / baseline.ms).toFixed(1)}x the baseline (${first.result.changed} changed)`);
      console.log(`again, nothing to write: ${again.ms.toFixed(0)} ms, ${rate(again.ms)} profiles/s, ${(again.ms / baseline.ms).toFixed(1)}x the baseline (${again.result.changed} changed)`);
      console.log(JSON.stringify((await app.get(TypologyService).distribution(ws)).counts));
    } finally {
      await client.end();
      await app.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${SCRATCH}`);
    await admin.end();
  }
}

await main();
