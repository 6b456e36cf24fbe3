import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { IngestService, loadConfig, PersonaDiscoveryService, ProfileSettingsService, ProfilesService, RecomputeJobsService, SegmentEditorService, SegmentsService, TypologyClassificationService, WorkspacesService } from '@portrait/core';
import { createTestDatabase, insertPlantedPopulation, plantedPopulation, type TestDatabase } from '@portrait/core/testing';
import { createWorkerApp } from '../src/main.js';

describe('worker app', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const config = loadConfig({ LOG_LEVEL: 'warn', DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL });
    app = await createWorkerApp({ config, database: { url: db.url, mode: 'external', release: async () => {} } });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  it('reports the database (and Redis when configured) on /readyz', async () => {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: Record<string, { status: string }> };
    expect(body.details.database.status).toBe('up');
    if (process.env.REDIS_URL) expect(body.details.redis.status).toBe('up');
  });

  it('reports not ready when Redis is configured but does not answer', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1' });
    const broken = await createWorkerApp({ config, database: { url: db.url, mode: 'external', release: async () => {} } });
    await broken.listen(0, '127.0.0.1');
    try {
      const ready = await fetch(`${await broken.getUrl()}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { details: Record<string, { status: string }> }).details.redis.status).toBe('down');
    } finally {
      await broken.close();
    }
  });

  it('runs the backfill a settings change queued: every existing profile gets the new computed trait', async () => {
    const ws = (await app.get(WorkspacesService).create('backfilled')).id;
    await app.get(IngestService).ingest(ws, [
      {
        source: 'shop',
        externalId: 'a',
        identities: [{ type: 'email', value: 'ana@example.org' }],
        events: [{ type: 'store_visited', occurredAt: '2026-01-02T00:00:00.000Z', properties: {}, dedupeKey: 'v-1' }],
        observedAt: '2026-01-02T00:00:00.000Z',
      },
    ]);
    const { backfillJobId } = await app.get(ProfileSettingsService).replace(ws, { computedTraits: [{ key: 'visits', aggregation: 'count', event: 'store_visited' }] });
    const jobs = app.get(RecomputeJobsService);
    // The worker's schedule takes the job within seconds; nothing here runs it.
    const deadline = Date.now() + 30_000;
    while ((await jobs.get(ws, backfillJobId!)).status !== 'succeeded' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await jobs.get(ws, backfillJobId!)).toMatchObject({ status: 'succeeded', total: 1, processed: 1 });
    expect((await app.get(ProfilesService).findByIdentity(ws, 'email', 'ana@example.org'))!.computed.visits).toBe(1);
  });

  it('pushes segment changes to destinations on its own: a push that fails is recorded, kept pending and backed off', async () => {
    const ws = (await app.get(WorkspacesService).create('pushed')).id;
    const segment = await app.get(SegmentEditorService).create(ws, { name: 'Everyone', key: 'everyone', condition: { identity: 'email', op: 'exists' } });
    // A destination whose source is gone: every push to it fails.
    await app.get(SegmentsService).connectDestination(ws, segment.id, randomUUID());
    await app.get(IngestService).ingest(ws, [{ source: 'shop', externalId: 'b', identities: [{ type: 'email', value: 'bo@example.org' }], observedAt: '2026-01-02T00:00:00.000Z' }]);
    // The worker's pusher takes the push within a second or two; nothing here runs it.
    const segments = app.get(SegmentsService);
    const deadline = Date.now() + 30_000;
    while ((await segments.destinations(ws, segment.id))[0]!.lastPush === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const [destination] = await segments.destinations(ws, segment.id);
    expect(destination).toMatchObject({ lastPush: { outcome: 'failed', entered: 1, error: expect.stringContaining('does not exist') }, pending: { members: 1 }, failedAttempts: 1 });
    expect(Date.parse(destination!.nextAttemptAt!)).toBeGreaterThan(Date.parse(destination!.lastPush!.at));
  });

  it('runs a queued persona discovery: the run succeeds with its drafts', async () => {
    const ws = (await app.get(WorkspacesService).create('discovered')).id;
    await insertPlantedPopulation(db.dataSource, ws, plantedPopulation(0, 80, 2));
    const discovery = app.get(PersonaDiscoveryService);
    const queued = await discovery.start(ws, { maxK: 5 }, { inline: false });
    expect(queued.status).toBe('queued');
    // The worker's schedule takes the run within seconds; nothing here runs it.
    const deadline = Date.now() + 30_000;
    while ((await discovery.get(ws, queued.id)).status !== 'succeeded' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const run = await discovery.get(ws, queued.id);
    expect(run).toMatchObject({ status: 'succeeded', progress: 1, summary: { people: 80, k: 4 } });
    expect(run.drafts.map((d) => d.size)).toEqual([20, 20, 20, 20]);
  });

  it('classifies every workspace\'s people again on its schedule', async () => {
    const ws = (await app.get(WorkspacesService).create('classified')).id;
    const orders = ['2026-01-02', '2026-01-03'].map((day, i) => ({ type: 'order_placed', occurredAt: `${day}T10:00:00.000Z`, properties: { total: 10, discount_codes: ['SAVE'] }, dedupeKey: `o-${i}` }));
    await app.get(IngestService).ingest(ws, [{ source: 'shop', externalId: 'b', identities: [{ type: 'email', value: 'bo@example.org' }], events: orders, observedAt: '2026-01-03T00:00:00.000Z' }]);
    const typologyOf = async () => (await app.get(ProfilesService).findByIdentity(ws, 'email', 'bo@example.org'))!.typology;
    expect(await typologyOf()).toMatchObject({ value: 'deal_based', reason: '2 of 2 orders used a discount code or were bought on sale (100%; deal-based from 50%)' });
    // As if the classification were lost: the worker's full run (every 24 hours; here every 200 ms) writes it again.
    await db.dataSource.query(`UPDATE profiles SET typology = NULL, typology_reason = NULL, typology_figures = NULL, typology_set_at = NULL WHERE workspace_id = $1`, [ws]);
    const classification = app.get(TypologyClassificationService);
    classification.stopSchedules();
    classification.startSchedules({ fullEveryMs: 200 });
    try {
      const deadline = Date.now() + 30_000;
      while (!(await typologyOf()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await typologyOf()).toMatchObject({ value: 'deal_based', reason: '2 of 2 orders used a discount code or were bought on sale (100%; deal-based from 50%)' });
    } finally {
      classification.stopSchedules();
    }
  });
});
