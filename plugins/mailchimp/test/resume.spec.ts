import { once } from 'node:events';
import { ProfileRecomputeService, SourcesService, SyncService } from '@portrait/core';
import { createTestCore, startedRun, type TestCore } from '@portrait/core/testing';
import { forkSourceChild } from '@portrait/testkit';
import connector from '../src/index.js';
import { MailchimpSandbox } from '../src/sandbox/index.js';
import { PAGE_OVERLAP } from '../src/streams/member-pages.js';
import { sandboxConfig } from './sandbox-config.js';

/**
 * A full sync whose process is killed while it pages through an audience resumes from its last
 * checkpoint — the same audience, the same offset — and ends with exactly what an uninterrupted sync
 * of the same account stores.
 */
describe('Mailchimp sync killed mid-stream', () => {
  let core: TestCore;
  let sandbox: MailchimpSandbox;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'r'.repeat(40) }, connectors: [connector] });
    // Pages of 50, each call holding its connection 15 ms: the run is slow enough to be caught mid-way.
    sandbox = await MailchimpSandbox.start({ members: 800, pageLimit: 50, latencyMs: 15 });
  });
  afterAll(async () => {
    await sandbox?.close();
    await core?.close();
  });

  const snapshot = async (workspaceId: string) => {
    const q = (sql: string) => core.db.dataSource.query(sql, [workspaceId]);
    return {
      events: await q(`SELECT type, dedupe_key, occurred_at, properties FROM events WHERE workspace_id = $1 ORDER BY dedupe_key`),
      records: await q(`SELECT source, external_id, traits FROM source_records WHERE workspace_id = $1 ORDER BY external_id`),
      identities: await q(`SELECT type, value FROM identities WHERE workspace_id = $1 ORDER BY type, value`),
      profiles: (await q(`SELECT traits, computed FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`)).map((p: unknown) => JSON.stringify(p)).sort(),
      consents: await q(`SELECT purpose, granted, at FROM consents WHERE workspace_id = $1 ORDER BY purpose, at, granted`),
    };
  };

  it('a Portrait process killed (SIGKILL) mid-audience: the next run reads on from the checkpoint and ends as an uninterrupted run', async () => {
    const sources = core.app.get(SourcesService);
    const sync = core.app.get(SyncService);
    const reference = await core.workspace();
    const referenceSource = await sources.create(reference, { connectorId: 'mailchimp', name: 'Newsletter', config: sandboxConfig(sandbox) });
    expect(startedRun(await sync.sync(referenceSource.id, { mode: 'full' })).status).toBe('succeeded');

    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'mailchimp', name: 'Newsletter', config: sandboxConfig(sandbox) });
    const child = forkSourceChild(new URL('./child/sync-child.ts', import.meta.url), [core.db.url, source.id], 'r'.repeat(40));
    const exited = once(child, 'exit');
    // Caught in the activity stream (the slower one: a feed call per member) past its fourth page.
    let mid: { state: { current: { offset: number } } } | undefined;
    for (let i = 0; i < 9000 && !mid && child.exitCode === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      [mid] = await core.db.dataSource.query(
        `SELECT state FROM sync_states WHERE source_id = $1 AND stream = 'activity' AND in_progress AND (state->'current'->>'offset')::int >= 200`,
        [source.id],
      );
    }
    child.kill('SIGKILL');
    await exited;
    expect(mid).toBeDefined();
    const [kept] = await core.db.dataSource.query(`SELECT state, in_progress FROM sync_states WHERE source_id = $1 AND stream = 'activity'`, [source.id]);
    expect(kept.in_progress).toBe(true);
    expect(kept.state.current.offset).toBeGreaterThanOrEqual(200);
    expect(kept.state.current.offset).toBeLessThan(800);

    // The dead process's run holds the source until its lease lapses.
    expect(await sync.sync(source.id, { mode: 'full' })).toMatchObject({ started: false, reason: 'already_running' });
    await core.db.dataSource.query(`UPDATE sync_runs SET heartbeat_at = now() - interval '2 minutes' WHERE source_id = $1 AND status = 'running'`, [source.id]);
    const callsBefore = sandbox.requests.length;
    const resumed = startedRun(await sync.sync(source.id, { mode: 'full' }));
    expect(resumed.status).toBe('succeeded');
    // The activity stream read the feeds of the members after its checkpoint only (the page it resumed
    // at starts with the last page's overlap, which it skips): none twice, none lost.
    const feeds = sandbox.requests.slice(callsBefore).filter((r) => r.path.endsWith('/activity-feed'));
    expect(feeds).toHaveLength(800 - kept.state.current.offset - PAGE_OVERLAP);
    const runs = await core.db.dataSource.query(`SELECT status, error FROM sync_runs WHERE source_id = $1 ORDER BY created_at`, [source.id]);
    expect(runs).toEqual([
      { status: 'failed', error: 'interrupted: the process running it stopped' },
      { status: 'succeeded', error: null },
    ]);
    await core.app.get(ProfileRecomputeService).recomputePending(0);
    expect(await snapshot(workspaceId)).toEqual(await snapshot(reference));
  });
});
