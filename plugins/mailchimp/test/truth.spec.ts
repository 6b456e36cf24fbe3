import { SourcesService, SyncService } from '@portrait/core';
import { createTestCore, startedRun, type TestCore } from '@portrait/core/testing';
import connector from '../src/index.js';
import { MailchimpSandbox, verifyMailchimpTruth } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

/**
 * Truth at a CI-friendly size: a full sync of a 2,000-member audience ends with exactly the account's
 * members, traits, consent and activity; an incremental sync after the account changes ingests
 * exactly those changes; one without changes writes nothing.
 */
describe('Mailchimp sync truth (2,000 members)', () => {
  let core: TestCore;
  let sandbox: MailchimpSandbox;
  let sync: SyncService;
  let workspaceId: string;
  let sourceId: string;
  const query = (sql: string, params: unknown[]) => core.db.dataSource.query(sql, params);
  const count = async (table: string) => (await query(`SELECT count(*)::int AS n FROM ${table} WHERE workspace_id = $1`, [workspaceId]))[0]!.n as number;
  const activityItems = () => sandbox.data.allMembers().reduce((n, m) => n + m.activity.length, 0);

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 't'.repeat(40) }, connectors: [connector] });
    sync = core.app.get(SyncService);
    sandbox = await MailchimpSandbox.start({ members: 2000, latencyMs: 0 });
    workspaceId = await core.workspace();
    sourceId = (await core.app.get(SourcesService).create(workspaceId, { connectorId: 'mailchimp', name: 'Newsletter', config: sandboxConfig(sandbox) })).id;
  });
  afterAll(async () => {
    await sandbox?.close();
    await core?.close();
  });

  it('a full sync ends with the account’s members, their traits and consent, and every activity as one event', async () => {
    const done = startedRun(await sync.sync(sourceId));
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.stats.members).toMatchObject({ read: 2000, rejected: 0, deadLettered: 0 });
    expect(await count('events')).toBe(activityItems());
    const report = await verifyMailchimpTruth(query, workspaceId, sandbox);
    expect(report.problems).toEqual([]);
    expect(report.checkedProfiles).toBeGreaterThan(1900);
    expect(report.expectedEvents.email_opened).toBeGreaterThan(1000);
    expect(sandbox.tooManyConnections).toBe(0);
  });

  it('an incremental sync after 40 edits, a campaign to 30 members and 20 new members ingests exactly those', async () => {
    const listId = sandbox.listId;
    const itemsBefore = activityItems();
    const edited = sandbox.data.changeMembers(listId, 40);
    const engaged = sandbox.data.sendCampaign(listId, 30).members;
    const added = sandbox.data.addMembers(listId, 20);
    const touched = new Map([...edited, ...engaged, ...added].map((m) => [m.record.id, m]));
    const eventsBefore = await count('events');

    const done = startedRun(await sync.sync(sourceId));
    expect(done.status).toBe('succeeded');
    expect(done.stats.members).toMatchObject({ read: touched.size, rejected: 0 });
    expect(done.stats.activity!.read).toBe([...touched.values()].filter((m) => m.activity.length > 0).length);
    expect(await count('events')).toBe(eventsBefore + (activityItems() - itemsBefore));
    const report = await verifyMailchimpTruth(query, workspaceId, sandbox);
    expect(report.problems).toEqual([]);
  });

  it('a sync with no change upstream reads and writes nothing', async () => {
    const snapshot = async () => ({
      events: await count('events'),
      history: await count('trait_changes'),
      consents: await count('consents'),
      records: await query(`SELECT max(updated_at) AS at FROM source_records WHERE workspace_id = $1`, [workspaceId]),
    });
    const before = await snapshot();
    const done = startedRun(await sync.sync(sourceId));
    expect(done.status).toBe('succeeded');
    expect(done.stats.members).toMatchObject({ read: 0, created: 0, updated: 0, events: 0 });
    expect(done.stats.activity).toMatchObject({ read: 0, created: 0, updated: 0, events: 0 });
    expect(await snapshot()).toEqual(before);
  });
});
