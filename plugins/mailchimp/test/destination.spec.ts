import { createHash } from 'node:crypto';
import { IngestService, SegmentDestinationPusher, SegmentDestinationsService, SegmentsService, SourcesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import connector from '../src/index.js';
import { BATCH_THRESHOLD } from '../src/destination.js';
import { MailchimpSandbox, tagHolders } from '../src/sandbox/index.js';
import { sandboxConfig } from './sandbox-config.js';

const at = (month: number) => `2026-${String(month).padStart(2, '0')}-01T00:00:00Z`;
/** A shop's customer with an e-mail, a vip flag and (when given) a statement of e-mail marketing consent. */
const customer = (email: string, vip: boolean, month: number, granted?: boolean) => ({
  source: 'shop',
  externalId: email,
  identities: [{ type: 'email', value: email }],
  traits: { vip },
  observedAt: at(month),
  ...(granted === undefined ? {} : { consent: [{ purpose: 'email_marketing', granted, at: at(month) }] }),
});
const lower = (emails: string[]) => emails.map((e) => e.toLowerCase()).sort();

describe('segments sent to a Mailchimp audience', () => {
  let core: TestCore;
  let sandbox: MailchimpSandbox;
  let pusher: SegmentDestinationPusher;

  const drain = async () => {
    while ((await pusher.deliverDue()) > 0) {
      /* next round */
    }
  };
  /** The segment's members now, as the database holds them (their e-mail addresses). */
  const memberEmails = async (ws: string, segmentId: string) => {
    const rows: { value: string }[] = await core.db.dataSource.query(
      `SELECT i.value FROM segment_memberships m JOIN identities i ON i.profile_id = m.profile_id AND i.type = 'email' WHERE m.workspace_id = $1 AND m.segment_id = $2`,
      [ws, segmentId],
    );
    return rows.map((r) => r.value).sort();
  };
  const holders = (tag: string) => lower(tagHolders(sandbox.data, sandbox.listId, tag));
  /** A workspace with the Mailchimp source and a segment (vip = true) connected to it. */
  const setUp = async (key: string) => {
    const ws = await core.workspace();
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'mailchimp', name: 'Newsletter', config: sandboxConfig(sandbox) });
    const segment = await core.app.get(SegmentsService).create(ws, { name: key, key, definition: { trait: 'vip', op: 'eq', value: true } });
    await core.app.get(SegmentDestinationsService).connect(ws, segment.id, source.id);
    return { ws, source, segment };
  };

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'd'.repeat(40) }, connectors: [connector] });
    pusher = core.app.get(SegmentDestinationPusher);
    sandbox = await MailchimpSandbox.start({ members: 40, seed: 47 });
  });
  afterAll(async () => {
    await sandbox?.close();
    await core?.close();
  });
  afterEach(() => sandbox.faults.clear());

  it('tags the members who consented, untags those who leave or revoke, and adds people new to the audience', async () => {
    const { ws, segment } = await setUp('vip-newsletter');
    const ingest = core.app.get(IngestService);
    const [a, b, c, d] = sandbox.data.audience(sandbox.listId)!.members.slice(0, 4).map((m) => m.record.email_address);
    const newcomer = 'new.reader@example.org';

    await ingest.ingest(ws, [customer(a!, true, 1, true), customer(b!, true, 1, true), customer(c!, true, 1, false), customer(d!, true, 1), customer(newcomer, true, 1, true)]);
    await drain();
    expect(await memberEmails(ws, segment.id)).toEqual(lower([a!, b!, c!, d!, newcomer]));
    // Only those who granted email_marketing hold the tag; the newcomer was added to the audience first.
    expect(holders('vip-newsletter')).toEqual(lower([a!, b!, newcomer]));
    const added = sandbox.data.member(sandbox.listId, connectorHash(newcomer))!;
    expect(added.record).toMatchObject({ email_address: newcomer, status: 'pending', list_id: sandbox.listId });

    // a leaves the segment, b revokes consent, d grants it.
    await ingest.ingest(ws, [customer(a!, false, 2, true), customer(b!, true, 2, false), customer(d!, true, 2, true)]);
    await drain();
    expect(holders('vip-newsletter')).toEqual(lower([d!, newcomer]));
    // The members' other tags are untouched.
    const others = sandbox.data.member(sandbox.listId, connectorHash(a!))!.record.tags!.map((t) => t.name);
    expect(others).not.toContain('vip-newsletter');
    const [destination] = await core.app.get(SegmentDestinationsService).list(ws, segment.id);
    expect(destination).toMatchObject({ failedAttempts: 0, lastPush: { outcome: 'succeeded', error: null } });
  });

  it(`sends a diff of more than ${BATCH_THRESHOLD} members through batch operations and reads their results`, async () => {
    const { ws, segment } = await setUp('vip-batch');
    const ingest = core.app.get(IngestService);
    const existing = sandbox.data.audience(sandbox.listId)!.members.slice(0, 10).map((m) => m.record.email_address);
    const fresh = Array.from({ length: BATCH_THRESHOLD + 40 }, (_, i) => `reader${i}@batch.example.org`);
    const batchesBefore = sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/3.0/batches').length;

    const fake = 'reader@batch.invalid';
    await ingest.ingest(ws, [...existing, ...fresh, fake].map((email) => customer(email, true, 1, true)));
    await drain();
    // Everyone but the address Mailchimp refuses (its operation's error, read from the batch's results).
    expect(holders('vip-batch')).toEqual(lower([...existing, ...fresh]));
    expect(await memberEmails(ws, segment.id)).toEqual(lower([...existing, ...fresh, fake]));
    expect(sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/3.0/batches').length).toBeGreaterThan(batchesBefore);
    const [first] = await core.app.get(SegmentDestinationsService).list(ws, segment.id);
    expect(first).toMatchObject({ lastPush: { outcome: 'succeeded', entered: existing.length + fresh.length + 1, synced: existing.length + fresh.length, skipped: 1 } });

    // 531 leave at once: the untagging goes through a batch too, and the one never added to the audience is no error.
    await ingest.ingest(ws, [...fresh.slice(0, BATCH_THRESHOLD + 30), fake].map((email) => customer(email, false, 2, true)));
    await drain();
    expect(holders('vip-batch')).toEqual(lower([...existing, ...fresh.slice(BATCH_THRESHOLD + 30)]));
    expect(holders('vip-batch')).toEqual(await memberEmails(ws, segment.id));
    const [destination] = await core.app.get(SegmentDestinationsService).list(ws, segment.id);
    expect(destination).toMatchObject({ lastPush: { outcome: 'succeeded', exited: BATCH_THRESHOLD + 31, synced: BATCH_THRESHOLD + 31, skipped: 0 } });
  });

  it(`keeps to 10 connections when it tags up to ${BATCH_THRESHOLD} members one call at a time`, async () => {
    const { ws, segment } = await setUp('vip-many');
    const emails = Array.from({ length: 300 }, (_, i) => `many${i}@calls.example.org`);
    const refusedBefore = sandbox.tooManyConnections;
    await core.app.get(IngestService).ingest(ws, emails.map((email) => customer(email, true, 1, true)));
    await drain();
    expect(holders('vip-many')).toEqual(await memberEmails(ws, segment.id));
    expect(holders('vip-many')).toHaveLength(300);
    expect(sandbox.tooManyConnections).toBe(refusedBefore);
    expect(sandbox.peakConnections).toBeLessThanOrEqual(10);
  });

  it('never fails an ingest when Mailchimp fails, and retries the push until the audience matches the segment', async () => {
    const { ws, segment, source } = await setUp('vip-retried');
    const ingest = core.app.get(IngestService);
    const destinations = core.app.get(SegmentDestinationsService);
    const [a, b, c] = sandbox.data.audience(sandbox.listId)!.members.slice(10, 13).map((m) => m.record.email_address);
    sandbox.faults.inject({ kind: 'server_error', status: 503, rate: 1, path: '/3.0/lists' });

    const result = await ingest.ingest(ws, [customer(a!, true, 1, true), customer(b!, true, 1, true)]);
    expect(result.created).toBe(2);
    await drain();
    expect(holders('vip-retried')).toEqual([]);
    const [failed] = await destinations.list(ws, segment.id);
    expect(failed).toMatchObject({ pending: { members: 2 }, failedAttempts: 1, lastPush: { outcome: 'failed', error: expect.stringContaining('HTTP 503') } });

    // While it fails, b leaves and c enters.
    await ingest.ingest(ws, [customer(b!, false, 2, true), customer(c!, true, 2, true)]);
    sandbox.faults.clear();
    const [recovered] = await destinations.pushNow(ws, segment.id, source.id);
    expect(recovered).toMatchObject({ pending: { members: 0 }, failedAttempts: 0, lastPush: { outcome: 'succeeded' } });
    expect(holders('vip-retried')).toEqual(lower([a!, c!]));
    expect(holders('vip-retried')).toEqual(await memberEmails(ws, segment.id));
  }, 120_000);

  it('returns members without an e-mail address, and those Mailchimp refuses, as skipped', async () => {
    const { ws, segment } = await setUp('vip-skipped');
    const [a] = sandbox.data.audience(sandbox.listId)!.members.slice(20, 21).map((m) => m.record.email_address);
    await core.app.get(IngestService).ingest(ws, [
      { source: 'shop', externalId: 'u-1', identities: [{ type: 'user_id', value: 'u-1' }], traits: { vip: true }, observedAt: at(1), consent: [{ purpose: 'email_marketing', granted: true, at: at(1) }] },
      customer('reader@mail.invalid', true, 1, true),
      customer(a!, true, 1, true),
    ]);
    await drain();
    expect(holders('vip-skipped')).toEqual(lower([a!]));
    expect(sandbox.data.member(sandbox.listId, connectorHash('reader@mail.invalid'))).toBeUndefined();
    const [destination] = await core.app.get(SegmentDestinationsService).list(ws, segment.id);
    expect(destination).toMatchObject({ pending: { members: 0 }, lastPush: { outcome: 'succeeded', entered: 3, synced: 1, skipped: 2 } });
  });

  it('sends a segment connected with an audience and a tag to that audience under that tag, and under the new tag once it changes', async () => {
    const audiences = [
      { id: 'a1b2c3d4e5', name: 'Newsletter' },
      { id: 'f6e5d4c3b2', name: 'Spring collection' },
    ];
    const two = await MailchimpSandbox.start({ members: 20, seed: 61, audiences });
    try {
      const [first, second] = two.audienceIds as [string, string];
      const ws = await core.workspace();
      const source = await core.app.get(SourcesService).create(ws, { connectorId: 'mailchimp', name: 'Two audiences', config: sandboxConfig(two) });
      const segment = await core.app.get(SegmentsService).create(ws, { name: 'Spring VIP', key: 'vip-spring', definition: { trait: 'vip', op: 'eq', value: true } });
      const destinations = core.app.get(SegmentDestinationsService);
      const [a, b, c] = two.data.audience(second)!.members.slice(0, 3).map((m) => m.record.email_address);
      const newcomer = 'spring.reader@example.org';
      await core.app.get(IngestService).ingest(ws, [customer(a!, true, 1, true), customer(b!, true, 1, true), customer(c!, true, 1, false), customer(newcomer, true, 1, true)]);

      const connected = await destinations.connect(ws, segment.id, source.id, { audienceId: second, tag: 'spring-vip' });
      expect(connected).toMatchObject({ options: { audienceId: second, tag: 'spring-vip' }, pending: { members: 4 } });
      await drain();
      // On the second audience, under the tag given; the newcomer was added to that audience. Nothing on the first.
      expect(lower(tagHolders(two.data, second, 'spring-vip'))).toEqual(lower([a!, b!, newcomer]));
      expect(two.data.member(second, connectorHash(newcomer))!.record).toMatchObject({ email_address: newcomer, list_id: second });
      expect(tagHolders(two.data, first, 'spring-vip')).toEqual([]);
      expect(tagHolders(two.data, first, 'vip-spring')).toEqual([]);
      expect(tagHolders(two.data, second, 'vip-spring')).toEqual([]);

      // A new tag: the whole current membership is sent again under it; the old tag is left as it is.
      await core.app.get(IngestService).ingest(ws, [customer(b!, false, 2, true)]);
      const renamed = await destinations.connect(ws, segment.id, source.id, { audienceId: second, tag: 'spring-vip-2026' });
      expect(renamed).toMatchObject({ options: { audienceId: second, tag: 'spring-vip-2026' } });
      await drain();
      expect(lower(tagHolders(two.data, second, 'spring-vip-2026'))).toEqual(lower([a!, newcomer]));
      expect(lower(tagHolders(two.data, second, 'spring-vip'))).toEqual(lower([a!, b!, newcomer]));
      const [destination] = await destinations.list(ws, segment.id);
      expect(destination).toMatchObject({ options: { tag: 'spring-vip-2026' }, pending: { members: 0 }, lastPush: { outcome: 'succeeded', entered: 2, synced: 2 } });

      // Who leaves afterwards loses the new tag.
      await core.app.get(IngestService).ingest(ws, [customer(a!, false, 3, true)]);
      await drain();
      expect(lower(tagHolders(two.data, second, 'spring-vip-2026'))).toEqual(lower([newcomer]));
    } finally {
      await two.close();
    }
  });

  it('refuses an audience the source does not sync and an empty tag, naming the option', async () => {
    const { ws, segment, source } = await setUp('vip-refused');
    const destinations = core.app.get(SegmentDestinationsService);
    await expect(destinations.connect(ws, segment.id, source.id, { audienceId: 'ffffffffff' })).rejects.toMatchObject({
      code: 'INVALID_DESTINATION',
      errors: [{ field: 'options.audienceId', message: `must be one of the source's audiences: ${sandbox.listId}` }],
    });
    await expect(destinations.connect(ws, segment.id, source.id, { tag: '  ' })).rejects.toMatchObject({ errors: [{ field: 'options.tag', message: 'must not be empty' }] });
    await expect(destinations.connect(ws, segment.id, source.id, { tag: 'x'.repeat(101) })).rejects.toMatchObject({ errors: [{ field: 'options.tag' }] });
    expect((await destinations.list(ws, segment.id))[0]).toMatchObject({ options: {} });
  });
});

function connectorHash(email: string): string {
  return createHash('md5').update(email.toLowerCase()).digest('hex');
}
