import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../../src/engine/config/portrait-config.js';
import { PortraitCoreModule } from '../../src/portrait-core.module.js';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { SegmentDestinationPusher } from '../../src/modules/sync/segment-destination-pusher.service.js';
import { SegmentDestinationsService } from '../../src/modules/sync/segment-destinations.service.js';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { consentTagConnector, tagConnector, tagged } from './test-connectors.js';

const person = (externalId: string, identities: { type: string; value: string }[], traits: Record<string, unknown>, observedAt = '2026-01-01T00:00:00Z') => ({
  source: 'shop',
  externalId,
  identities,
  traits,
  observedAt,
});
const vipPerson = (n: string, vip: boolean, observedAt: string) => person(n, [{ type: 'email', value: `${n}@x.io` }], { vip }, observedAt);
const sorted = (values: Iterable<string>) => [...values].sort();

describe('segment destinations through the sync engine', () => {
  let core: TestCore;
  let pusher: SegmentDestinationPusher;

  /** Runs the pusher's rounds until nothing due is left (a worker's loop, run here by the test). */
  const drain = async (by = pusher, perRound?: number) => {
    while ((await by.deliverDue(perRound)) > 0) {
      /* next round */
    }
  };
  /** The emails of the segment's members now, read from the database. */
  const memberEmails = async (ws: string, segmentId: string) => {
    const rows: { value: string }[] = await core.db.dataSource.query(
      `SELECT i.value FROM segment_memberships m JOIN identities i ON i.profile_id = m.profile_id AND i.type = 'email' WHERE m.workspace_id = $1 AND m.segment_id = $2`,
      [ws, segmentId],
    );
    return sorted(rows.map((r) => r.value));
  };
  const pendingRows = async (segmentId: string) =>
    (await core.db.dataSource.query(`SELECT count(*)::int AS n FROM segment_destination_pending WHERE segment_id = $1`, [segmentId]))[0].n as number;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'd'.repeat(40) }, connectors: [tagConnector, consentTagConnector] });
    pusher = core.app.get(SegmentDestinationPusher);
  });
  afterAll(() => core.close());
  afterEach(() => {
    tagged.failures = 0;
    tagged.delayMs = 0;
  });

  it("pushes each committed change to the destination source's syncSegment with members' identities, and records the outcome", async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const ingest = core.app.get(IngestService);
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'tag-token-123' } });
    const vip = await segments.create(ws, { name: 'VIP', key: 'vip', definition: { trait: 'vip', op: 'eq', value: true } });
    await segments.connectDestination(ws, vip.id, source.id);

    await ingest.ingest(ws, [
      person('1', [{ type: 'email', value: ' Ana@X.io ' }], { vip: true }),
      person('2', [{ type: 'email', value: 'bo@x.io' }], { vip: false }),
      person('3', [{ type: 'user_id', value: 'u-3' }], { vip: true }),
    ]);
    await drain();
    expect([...tagged.members.get('vip')!]).toEqual(['ana@x.io']);
    const [row] = await core.db.dataSource.query(`SELECT last_synced, last_skipped, last_error, last_outcome, last_pushed_at FROM segment_destinations WHERE segment_id = $1`, [vip.id]);
    expect(row).toMatchObject({ last_synced: 1, last_skipped: 1, last_error: null, last_outcome: 'succeeded' });
    expect(row.last_pushed_at).not.toBeNull();

    await ingest.ingest(ws, [person('1', [{ type: 'email', value: 'ana@x.io' }], { vip: false }, '2026-02-01T00:00:00Z'), person('2', [{ type: 'email', value: 'bo@x.io' }], { vip: true }, '2026-02-01T00:00:00Z')]);
    await drain();
    expect([...tagged.members.get('vip')!]).toEqual(['bo@x.io']);
    expect(tagged.calls.at(-1)).toEqual({ key: 'vip', entered: ['bo@x.io'], exited: ['ana@x.io'] });
    expect(await pendingRows(vip.id)).toBe(0);
  });

  it('keeps a refused destination from failing the ingest: the error is recorded without the secret, the source needs attention and the push waits', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const sources = core.app.get(SourcesService);
    const source = await sources.create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'wrong-token-456' } });
    const all = await segments.create(ws, { name: 'Everyone with an email', key: 'emails', definition: { identity: 'email', op: 'exists' } });
    await segments.connectDestination(ws, all.id, source.id);

    const result = await core.app.get(IngestService).ingest(ws, [person('9', [{ type: 'email', value: 'cy@x.io' }], {})]);
    expect(result.created).toBe(1);
    expect((await segments.members(ws, all.id)).data).toHaveLength(1);
    await drain();
    const [row] = await core.db.dataSource.query(`SELECT last_synced, last_error, last_outcome FROM segment_destinations WHERE segment_id = $1`, [all.id]);
    expect(row).toMatchObject({ last_synced: 0, last_outcome: 'failed' });
    expect(row.last_error).toContain('refused (HTTP 401)');
    expect(row.last_error).not.toContain('wrong-token-456');
    expect(await sources.get(ws, source.id)).toMatchObject({ status: 'needs_attention' });
    const [listed] = await core.app.get(SegmentDestinationsService).list(ws, all.id);
    expect(listed).toMatchObject({ pending: { members: 1 }, failedAttempts: 1, lastPush: { outcome: 'failed', entered: 1, exited: 0 } });
    expect(Date.parse(listed!.nextAttemptAt!)).toBeGreaterThan(Date.parse(listed!.lastPush!.at));
  });

  it('retries a failing destination until it holds exactly the current members, including those who entered and left while it failed', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const destinations = core.app.get(SegmentDestinationsService);
    const ingest = core.app.get(IngestService);
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'tag-token-123' } });
    const vip = await segments.create(ws, { name: 'Retried', key: 'retried', definition: { trait: 'vip', op: 'eq', value: true } });
    await segments.connectDestination(ws, vip.id, source.id);
    tagged.failures = 3;

    await ingest.ingest(ws, [vipPerson('ana', true, '2026-01-01T00:00:00Z'), vipPerson('bo', true, '2026-01-01T00:00:00Z'), vipPerson('cy', false, '2026-01-01T00:00:00Z')]);
    await drain();
    expect(tagged.members.get('retried')).toBeUndefined();
    const [failed] = await destinations.list(ws, vip.id);
    expect(failed).toMatchObject({ pending: { members: 2 }, failedAttempts: 1, lastPush: { outcome: 'failed', entered: 2, exited: 0, error: expect.stringContaining('HTTP 503') } });
    // Backed off: the next round does not take it before its next attempt.
    expect(await pusher.deliverDue()).toBe(0);

    // While it fails: bo leaves, cy enters, dee enters and leaves again.
    await ingest.ingest(ws, [vipPerson('bo', false, '2026-02-01T00:00:00Z'), vipPerson('cy', true, '2026-02-01T00:00:00Z'), vipPerson('dee', true, '2026-02-01T00:00:00Z')]);
    await ingest.ingest(ws, [vipPerson('dee', false, '2026-03-01T00:00:00Z')]);
    expect((await destinations.pushNow(ws, vip.id))[0]).toMatchObject({ failedAttempts: 2, lastPush: { outcome: 'failed' } });
    expect((await destinations.pushNow(ws, vip.id, source.id))[0]).toMatchObject({ failedAttempts: 3 });
    const [recovered] = await destinations.pushNow(ws, vip.id, source.id);

    expect(sorted(tagged.members.get('retried')!)).toEqual(await memberEmails(ws, vip.id));
    expect(sorted(tagged.members.get('retried')!)).toEqual(['ana@x.io', 'cy@x.io']);
    expect(recovered).toMatchObject({ pending: { members: 0, since: null }, nextAttemptAt: null, failedAttempts: 0, lastPush: { outcome: 'succeeded', entered: 2, exited: 0, error: null } });

    // Healthy again, it follows each change: ana leaves, bo comes back.
    await ingest.ingest(ws, [vipPerson('ana', false, '2026-04-01T00:00:00Z'), vipPerson('bo', true, '2026-04-01T00:00:00Z')]);
    await drain();
    expect(sorted(tagged.members.get('retried')!)).toEqual(await memberEmails(ws, vip.id));
    expect(sorted(tagged.members.get('retried')!)).toEqual(['bo@x.io', 'cy@x.io']);
    expect((await destinations.list(ws, vip.id))[0]).toMatchObject({ lastPush: { outcome: 'succeeded', entered: 1, exited: 1 } });
  });

  it('brings a destination connected to a segment with members to the whole membership, and drops its pending pushes when disconnected', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const destinations = core.app.get(SegmentDestinationsService);
    const ingest = core.app.get(IngestService);
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'tag-token-123' } });
    const vip = await segments.create(ws, { name: 'Dropped', key: 'dropped', definition: { trait: 'vip', op: 'eq', value: true } });
    await ingest.ingest(ws, [vipPerson('eve', true, '2026-01-01T00:00:00Z'), vipPerson('fay', true, '2026-01-01T00:00:00Z')]);
    tagged.failures = 1000;
    await destinations.connect(ws, vip.id, source.id);
    await ingest.ingest(ws, [vipPerson('gus', true, '2026-01-01T00:00:00Z')]);
    await drain();
    expect(await pendingRows(vip.id)).toBe(3);

    await destinations.disconnect(ws, vip.id, source.id);
    expect(await pendingRows(vip.id)).toBe(0);
    const calls = tagged.calls.length;
    await ingest.ingest(ws, [vipPerson('hal', true, '2026-01-01T00:00:00Z')]);
    await drain();
    expect(await pendingRows(vip.id)).toBe(0);
    expect(tagged.calls).toHaveLength(calls);
    expect(tagged.members.get('dropped')).toBeUndefined();

    // Connected again (and healthy): its first push is the whole membership.
    tagged.failures = 0;
    await destinations.connect(ws, vip.id, source.id);
    await drain();
    expect(sorted(tagged.members.get('dropped')!)).toEqual(['eve@x.io', 'fay@x.io', 'gus@x.io', 'hal@x.io']);
  });

  it('sends a destination that needs consent only the members who granted it, and removes one who revokes it at the next push', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const ingest = core.app.get(IngestService);
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'consent-tagger', name: 'newsletter', config: { token: 'tag-token-123' } });
    const vip = await segments.create(ws, { name: 'Consenting VIP', key: 'consenting-vip', definition: { trait: 'vip', op: 'eq', value: true } });
    await segments.connectDestination(ws, vip.id, source.id);
    const consent = (granted: boolean, at: string) => ({ consent: [{ purpose: 'email_marketing', granted, at }] });

    await ingest.ingest(ws, [
      { ...vipPerson('ivy', true, '2026-01-01T00:00:00Z'), ...consent(true, '2026-01-01T00:00:00Z') },
      { ...vipPerson('jon', true, '2026-01-01T00:00:00Z'), ...consent(false, '2026-01-01T00:00:00Z') },
      vipPerson('kim', true, '2026-01-01T00:00:00Z'),
    ]);
    await drain();
    expect(await memberEmails(ws, vip.id)).toEqual(['ivy@x.io', 'jon@x.io', 'kim@x.io']);
    expect(sorted(tagged.members.get('consenting-vip')!)).toEqual(['ivy@x.io']);

    // Ivy revokes, Kim grants: their membership does not change, the destination's audience does.
    await ingest.ingest(ws, [
      { ...vipPerson('ivy', true, '2026-01-01T00:00:00Z'), ...consent(false, '2026-02-01T00:00:00Z') },
      { ...vipPerson('kim', true, '2026-01-01T00:00:00Z'), ...consent(true, '2026-02-01T00:00:00Z') },
    ]);
    await drain();
    expect(sorted(tagged.members.get('consenting-vip')!)).toEqual(['kim@x.io']);
    expect(tagged.calls.filter((c) => c.key === 'consenting-vip').flatMap((c) => c.entered)).not.toContain('jon@x.io');
    expect(await pendingRows(vip.id)).toBe(0);

    // The same segment on a destination that needs no consent gets every member.
    const plain = await core.app.get(SourcesService).create(ws, { connectorId: 'tagger', name: 'crm', config: { token: 'tag-token-123' } });
    const all = await segments.create(ws, { name: 'All VIP', key: 'all-vip', definition: { trait: 'vip', op: 'eq', value: true } });
    await core.app.get(SegmentMembershipService).recompute(ws, all.id);
    await core.app.get(SegmentDestinationsService).connect(ws, all.id, plain.id);
    await drain();
    expect(sorted(tagged.members.get('all-vip')!)).toEqual(['ivy@x.io', 'jon@x.io', 'kim@x.io']);
  });

  it('never delivers the same push twice when two processes push the same outbox at once', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const ingest = core.app.get(IngestService);
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'tag-token-123' } });
    const keys = Array.from({ length: 8 }, (_, i) => `parallel-${i}`);
    const created = [];
    for (const [i, key] of keys.entries()) {
      const segment = await segments.create(ws, { name: key, key, definition: { trait: 'tier', op: 'gte', value: i } });
      await segments.connectDestination(ws, segment.id, source.id);
      created.push(segment);
    }
    // A second process: its own core on the same database.
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: core.db.url, PORTRAIT_SECRET_KEY: 'd'.repeat(40) });
    const other: INestApplicationContext = await NestFactory.createApplicationContext(
      PortraitCoreModule.forRoot({ config, databaseUrl: core.db.url, appName: 'test-2', observability: false, connectors: [tagConnector] }),
      { logger: false },
    );
    try {
      await ingest.ingest(ws, Array.from({ length: 10 }, (_, n) => person(`p${n}`, [{ type: 'email', value: `p${n}@x.io` }], { tier: n })));
      tagged.delayMs = 20;
      const before = tagged.calls.length;
      // One connection per round, so that the rounds of both processes interleave.
      const theirs = other.get(SegmentDestinationPusher);
      await Promise.all([drain(pusher, 1), drain(theirs, 1), drain(pusher, 1), drain(theirs, 1)]);

      const calls = tagged.calls.slice(before);
      for (const [i, segment] of created.entries()) {
        const entered = calls.filter((c) => c.key === segment.key).flatMap((c) => c.entered);
        // Each member reached the destination once, and the destination holds the segment exactly.
        expect(sorted(entered)).toEqual(await memberEmails(ws, segment.id));
        expect(sorted(tagged.members.get(segment.key)!)).toEqual(await memberEmails(ws, segment.id));
        expect(entered).toHaveLength(10 - i);
      }
    } finally {
      await other.close();
    }
  });

  it('connects with the options the destination takes, refuses invalid ones naming the field, and pushes the whole membership again when they change', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const destinations = core.app.get(SegmentDestinationsService);
    const ingest = core.app.get(IngestService);
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'tag-token-123' } });
    const vip = await segments.create(ws, { name: 'Spring', key: 'spring', definition: { trait: 'vip', op: 'eq', value: true } });
    await ingest.ingest(ws, ['lea', 'max'].map((n) => vipPerson(n, true, '2026-01-01T00:00:00Z')));
    const stored = async () =>
      (await core.db.dataSource.query(`SELECT options FROM segment_destinations WHERE segment_id = $1 AND source_id = $2`, [vip.id, source.id])).map((r: { options: unknown }) => r.options);
    const confirmed = async () =>
      (await core.db.dataSource.query(`SELECT count(*)::int AS n FROM segment_destination_members WHERE segment_id = $1 AND source_id = $2`, [vip.id, source.id]))[0].n as number;

    // Invalid options: refused field by field (the schema's, then the connector's own check), nothing stored.
    for (const [options, field, message] of [
      [{ tag: '' }, 'options.tag', 'must not be empty'],
      [{ tag: 'tag-token-123' }, 'options.tag', 'must not be the token'],
      [{ colour: 'red' }, 'options', expect.stringContaining('colour')],
    ] as const) {
      await expect(destinations.connect(ws, vip.id, source.id, options)).rejects.toMatchObject({ code: 'INVALID_DESTINATION', errors: [{ field, message }] });
    }
    expect(await stored()).toEqual([]);

    const connected = await destinations.connect(ws, vip.id, source.id, { tag: 'spring-a' });
    expect(connected).toMatchObject({ options: { tag: 'spring-a' }, pending: { members: 2 } });
    await drain();
    expect(sorted(tagged.members.get('spring-a')!)).toEqual(['lea@x.io', 'max@x.io']);
    expect(await confirmed()).toBe(2);

    // The same options again: nothing is owed.
    const calls = tagged.calls.length;
    expect(await destinations.connect(ws, vip.id, source.id, { tag: 'spring-a' })).toMatchObject({ options: { tag: 'spring-a' }, pending: { members: 0 } });
    await drain();
    expect(tagged.calls).toHaveLength(calls);

    // Other options: the whole membership is owed again, under the new tag; the old tag is left as it is.
    await ingest.ingest(ws, [vipPerson('max', false, '2026-02-01T00:00:00Z'), vipPerson('ned', true, '2026-02-01T00:00:00Z')]);
    await drain();
    expect(sorted(tagged.members.get('spring-a')!)).toEqual(['lea@x.io', 'ned@x.io']);
    const changed = await destinations.connect(ws, vip.id, source.id, { tag: 'spring-b' });
    expect(changed).toMatchObject({ options: { tag: 'spring-b' }, pending: { members: 2 } });
    expect(await confirmed()).toBe(0);
    await drain();
    expect(sorted(tagged.members.get('spring-b')!)).toEqual(await memberEmails(ws, vip.id));
    expect(sorted(tagged.members.get('spring-a')!)).toEqual(['lea@x.io', 'ned@x.io']);
    expect(await confirmed()).toBe(2);
    expect((await destinations.list(ws, vip.id))[0]).toMatchObject({ options: { tag: 'spring-b' }, pending: { members: 0 }, lastPush: { outcome: 'succeeded', entered: 2 } });

    // Options changed while a push under the old ones is in flight: that push confirms nothing, the next one sends everyone under the new.
    await ingest.ingest(ws, [vipPerson('ola', true, '2026-03-01T00:00:00Z')]);
    tagged.delayMs = 300;
    const inFlight = pusher.deliverDue();
    while (!(await core.db.dataSource.query(`SELECT 1 FROM segment_destinations WHERE segment_id = $1 AND lease_id IS NOT NULL`, [vip.id])).length) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await destinations.connect(ws, vip.id, source.id, {});
    await inFlight;
    expect(await confirmed()).toBe(0);
    tagged.delayMs = 0;
    await drain();
    // Left out, the options are the destination's defaults: the segment's key.
    expect(sorted(tagged.members.get('spring')!)).toEqual(await memberEmails(ws, vip.id));
    expect(await confirmed()).toBe(3);
    expect(await stored()).toEqual([{}]);
  });
});
