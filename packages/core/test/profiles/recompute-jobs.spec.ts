import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { ProfileSettingsService } from '../../src/modules/profiles/profile-settings.service.js';
import { RECOMPUTE_JOB_CHUNK, RecomputeJobsService } from '../../src/modules/profiles/recompute-jobs.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

const visitor = (i: number) => ({
  source: 'store',
  externalId: `v-${i}`,
  identities: [{ type: 'email', value: `visitor${i}@example.org` }],
  events: [{ type: 'store_visited', occurredAt: '2026-01-02T00:00:00.000Z', properties: {}, dedupeKey: `visit-${i}` }],
  observedAt: '2026-01-02T00:00:00.000Z',
});

describe('recompute jobs', () => {
  let core: TestCore;
  let jobs: RecomputeJobsService;
  let settings: ProfileSettingsService;
  const count = RECOMPUTE_JOB_CHUNK + 150;

  beforeAll(async () => {
    core = await createTestCore();
    jobs = core.app.get(RecomputeJobsService);
    settings = core.app.get(ProfileSettingsService);
  });
  afterAll(() => core?.close());

  const visitsOf = async (ws: string) =>
    (await core.db.dataSource.query(`SELECT id, computed -> 'visits' AS visits FROM profiles WHERE workspace_id = $1 ORDER BY id`, [ws])) as { id: string; visits: number | null }[];

  it('backfills chunk by chunk, reporting progress after each chunk', async () => {
    const ws = await core.workspace();
    await core.app.get(IngestService).ingest(ws, Array.from({ length: count }, (_, i) => visitor(i)));
    const { backfillJobId } = await settings.replace(ws, { computedTraits: [{ key: 'visits', aggregation: 'count', event: 'store_visited' }] });
    const seen: number[] = [];
    const job = await jobs.run(ws, backfillJobId!, (progress) => seen.push(progress.processed));
    expect(job).toMatchObject({ status: 'succeeded', total: count, processed: count });
    expect(seen).toEqual(expect.arrayContaining([0, RECOMPUTE_JOB_CHUNK, count]));
    expect((await visitsOf(ws)).every((p) => p.visits === 1)).toBe(true);
  });

  it('lets a second change join the backfill still waiting, and queues nothing when nothing that needs one changed', async () => {
    const ws = await core.workspace();
    const first = await settings.replace(ws, { traitPrecedence: { city: ['store'] } });
    const second = await settings.replace(ws, { computedTraits: [{ key: 'visits', aggregation: 'count', event: 'store_visited' }] });
    expect(second.backfillJobId).toBe(first.backfillJobId);
    expect(await settings.replace(ws, { identity: { defaultRegion: 'PT' } })).toEqual({ backfillJobId: null });
    expect(await settings.replace(ws, { traitPrecedence: { city: ['store'] } })).toEqual({ backfillJobId: null });
    expect(await jobs.runDue()).toBe(1);
  });

  it('resumes a job whose worker stopped after its last committed chunk; leaves one whose worker is alive', async () => {
    const ws = await core.workspace();
    await core.app.get(IngestService).ingest(ws, Array.from({ length: count }, (_, i) => visitor(i)));
    const { backfillJobId } = await settings.replace(ws, { computedTraits: [{ key: 'visits', aggregation: 'count', event: 'store_visited' }] });
    const ids = (await visitsOf(ws)).map((p) => p.id);
    const lastDone = ids[RECOMPUTE_JOB_CHUNK - 1];
    // A worker took the job, committed its first chunk, and is still running it.
    await core.db.dataSource.query(
      `UPDATE recompute_jobs SET status = 'running', started_at = now(), heartbeat_at = now(), total = $2, processed = $3, after_profile_id = $4 WHERE id = $1`,
      [backfillJobId, count, RECOMPUTE_JOB_CHUNK, lastDone],
    );
    expect(await jobs.runDue()).toBe(0);
    // It stopped: no progress for 10 minutes.
    await core.db.dataSource.query(`UPDATE recompute_jobs SET heartbeat_at = now() - interval '10 minutes' WHERE id = $1`, [backfillJobId]);
    expect(await jobs.runDue()).toBe(1);
    expect(await jobs.get(ws, backfillJobId!)).toMatchObject({ status: 'succeeded', total: count, processed: count });
    const after = await visitsOf(ws);
    // What the stopped worker had committed is not done again; the rest is.
    expect(after.slice(0, RECOMPUTE_JOB_CHUNK).every((p) => p.visits === null)).toBe(true);
    expect(after.slice(RECOMPUTE_JOB_CHUNK).every((p) => p.visits === 1)).toBe(true);
  });
});
