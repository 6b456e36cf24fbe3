import { Analytics } from '@segment/analytics-node';
import { IntakeLogService, ProfilesService } from '@portrait/core';
import { createTestApi, type TestApi } from './support/test-api.js';

describe('Segment-compatible tracking API', () => {
  let api: TestApi;
  let ws: string;
  let key: string;
  let profiles: ProfilesService;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['events:write', 'profiles:read']);
    profiles = api.app.get(ProfilesService);
  });
  afterAll(() => api?.close());

  // Each call waits until its messages are on the profile (Portrait-Wait), so the profile can be read right after.
  const post = (path: string, body: unknown) => api.call(key, path, { method: 'POST', body, headers: { 'portrait-wait': '10' } });
  const byUser = async (userId: string) => (await profiles.findByIdentity(ws, 'user_id', userId))!;

  it('identify: userId, anonymousId and email become identifiers; Segment traits land in the trait vocabulary', async () => {
    const response = await post('/v1/identify', {
      userId: 'u-1',
      anonymousId: 'anon-1',
      traits: { email: 'Ana@Example.org', firstName: 'Ana', title: 'CTO', address: { city: 'Recife', country: 'BR', postalCode: '50000' }, age: '31', planTier: 'gold', '%%': 1 },
      timestamp: '2026-03-01T10:00:00Z',
      messageId: 'm-identify-1',
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { success: boolean; received: number; processed: boolean; warnings: string[] };
    expect(body).toMatchObject({ success: true, received: 1, processed: true });
    expect(body.warnings).toEqual([expect.stringContaining('trait "%%" left out')]);

    const profile = await byUser('u-1');
    expect(profile.identities.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['anonymous_id:anon-1', 'email:ana@example.org', 'user_id:u-1']);
    expect(profile.traits).toEqual({ email: 'ana@example.org', first_name: 'Ana', job_title: 'CTO', city: 'Recife', country: 'BR', postal_code: '50000', age: 31, plan_tier: 'gold' });
    const traits = await profiles.traits(ws, profile.id);
    expect(traits.traits.first_name).toMatchObject({ source: 'api', observedAt: '2026-03-01T10:00:00.000Z' });
  });

  it('track: the event name in snake case, properties kept, a replayed messageId stored once', async () => {
    const message = { userId: 'u-2', event: 'Plan Upgraded', properties: { plan: 'pro', amount: 42.5 }, timestamp: '2026-03-02T10:00:00Z', messageId: 'm-track-1' };
    expect((await post('/v1/track', message)).status).toBe(200);
    expect((await post('/v1/track', message)).status).toBe(200);
    const { data } = await profiles.events(ws, (await byUser('u-2')).id);
    expect(data).toEqual([{ id: expect.any(String), type: 'plan_upgraded', source: 'api', occurredAt: '2026-03-02T10:00:00.000Z', properties: { plan: 'pro', amount: 42.5 } }]);
  });

  it('page and screen: page_viewed and screen_viewed events with the name; an anonymous visitor joins the user once identified', async () => {
    await post('/v1/page', { anonymousId: 'anon-9', name: 'Pricing', properties: { url: 'https://shop.example/pricing' }, timestamp: '2026-03-03T10:00:00Z' });
    await post('/v1/screen', { anonymousId: 'anon-9', name: 'Home', timestamp: '2026-03-03T11:00:00Z' });
    await post('/v1/identify', { userId: 'u-9', anonymousId: 'anon-9', traits: { email: 'nine@example.org' } });
    const { data } = await profiles.events(ws, (await byUser('u-9')).id);
    expect(data.map((e) => [e.type, e.properties])).toEqual([
      ['screen_viewed', { name: 'Home' }],
      ['page_viewed', { url: 'https://shop.example/pricing', name: 'Pricing' }],
    ]);
  });

  it('group: the group becomes a linked account with its traits', async () => {
    await post('/v1/group', { userId: 'u-3', groupId: 'g-1', traits: { name: 'Initech', industry: 'Technology', employees: 420 } });
    const person = await byUser('u-3');
    expect(person.linked).toHaveLength(1);
    const account = await profiles.get(ws, person.linked[0]!);
    expect(account).toMatchObject({ kind: 'account', traits: { name: 'Initech', industry: 'Technology', employee_count: 420 } });
    expect(account.identities.map((i) => `${i.type}:${i.value}`)).toEqual(['group_id:g-1']);
  });

  it('alias: previousId (the anonymous id) and userId end up on one profile', async () => {
    await post('/v1/track', { anonymousId: 'anon-7', event: 'Viewed Product', timestamp: '2026-03-04T10:00:00Z' });
    await post('/v1/identify', { userId: 'u-7', traits: { email: 'seven@example.org' } });
    expect((await profiles.findByIdentity(ws, 'anonymous_id', 'anon-7'))!.id).not.toBe((await byUser('u-7')).id);
    expect((await post('/v1/alias', { previousId: 'anon-7', userId: 'u-7' })).status).toBe(200);
    const merged = await byUser('u-7');
    expect((await profiles.findByIdentity(ws, 'anonymous_id', 'anon-7'))!.id).toBe(merged.id);
    expect((await profiles.events(ws, merged.id)).data.map((e) => e.type)).toEqual(['viewed_product']);
  });

  it('batch: every message type in one call, the batch context merged into each message', async () => {
    const response = await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'u-b', traits: { email: 'batch@example.org' } },
        { type: 'track', userId: 'u-b', event: 'Signed Up', originalTimestamp: '2026-03-05T09:59:00Z' },
        { type: 'page', userId: 'u-b', name: 'Docs' },
        { type: 'group', userId: 'u-b', groupId: 'g-b', traits: { name: 'Batchco' } },
      ],
      context: { traits: { first_name: 'Bea' } },
      sentAt: '2026-03-05T10:00:00Z',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: 4, processed: true });
    const profile = await byUser('u-b');
    expect(profile.traits).toMatchObject({ email: 'batch@example.org', first_name: 'Bea' });
    const events = (await profiles.events(ws, profile.id)).data;
    expect(events.map((e) => e.type).sort()).toEqual(['page_viewed', 'signed_up']);
    // originalTimestamp corrected for the sender's clock: one minute before the request arrived.
    const signedUp = events.find((e) => e.type === 'signed_up')!;
    expect(Math.abs(Date.now() - 60_000 - Date.parse(signedUp.occurredAt))).toBeLessThan(30_000);
    expect(profile.linked).toHaveLength(1);
  });

  it("reads Segment's consent convention (context.consent.categoryPreferences) into consent per purpose, with its history, and refuses values that are not booleans", async () => {
    const consentOf = (categoryPreferences: unknown, timestamp: string, messageId: string) =>
      post('/v1/track', { userId: 'u-consent', event: 'Segment Consent Preference Updated', context: { consent: { categoryPreferences } }, timestamp, messageId });
    expect((await consentOf({ 'Email Marketing': true, Advertising: false }, '2026-03-05T10:00:00Z', 'm-consent-1')).status).toBe(200);
    expect((await consentOf({ emailMarketing: false }, '2026-03-06T10:00:00Z', 'm-consent-2')).status).toBe(200);

    const id = (await byUser('u-consent')).id;
    type Statement = { purpose: string; granted: boolean; at: string };
    const exported = (await (await api.call(key, `/v1/profiles/${id}/export`)).json()) as { consents: Statement[]; consentHistory: Statement[] };
    const view = (statements: Statement[]) => statements.map((c) => [c.purpose, c.granted, new Date(c.at).toISOString()]);
    // The latest statement per purpose, and every statement in the history (a replayed message adds nothing).
    expect(view(exported.consents)).toEqual([
      ['advertising', false, '2026-03-05T10:00:00.000Z'],
      ['email_marketing', false, '2026-03-06T10:00:00.000Z'],
    ]);
    expect((await consentOf({ 'Email Marketing': true, Advertising: false }, '2026-03-05T10:00:00Z', 'm-consent-1')).status).toBe(200);
    const again = (await (await api.call(key, `/v1/profiles/${id}/export`)).json()) as { consentHistory: Statement[] };
    expect(view(again.consentHistory)).toEqual([
      ['advertising', false, '2026-03-05T10:00:00.000Z'],
      ['email_marketing', false, '2026-03-06T10:00:00.000Z'],
      ['email_marketing', true, '2026-03-05T10:00:00.000Z'],
    ]);

    const bad = await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'u-consent', context: { consent: { categoryPreferences: { Analytics: 'yes', '%%': true } } } },
        { type: 'identify', userId: 'u-consent', context: { consent: 'all' } },
      ],
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string; message: string }[] }).errors).toEqual([
      { field: 'batch.0.context.consent.categoryPreferences.Analytics', message: 'must be true or false' },
      { field: 'batch.0.context.consent.categoryPreferences.%%', message: expect.stringContaining('must contain a letter') },
      { field: 'batch.1.context.consent', message: 'must be an object with categoryPreferences' },
    ]);
  });

  it('refuses invalid messages with a 400 naming each field, storing nothing of the request', async () => {
    const before = await api.db.dataSource.query(`SELECT count(*)::int AS n FROM source_records WHERE workspace_id = $1`, [ws]);
    const noId = await post('/v1/track', { event: 'Clicked' });
    expect(noId.status).toBe(400);
    expect(await noId.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'userId', message: 'userId or anonymousId is required' }] });

    const batch = await post('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'u-ok', traits: { email: 'ok@example.org' } },
        { type: 'track', userId: 'u-ok' },
        { type: 'track', userId: 'u-ok', event: '!!!' },
        { type: 'teleport', userId: 'u-ok' },
        { type: 'identify', userId: 'u-ok', timestamp: 'tuesday' },
      ],
    });
    expect(batch.status).toBe(400);
    const fields = ((await batch.json()) as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['batch.1.event', 'batch.3.type']));
    const mapped = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u-ok', event: '!!!' }, { type: 'identify', userId: 'u-ok', timestamp: 'tuesday' }] });
    expect(((await mapped.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['batch.0.event', 'batch.1.timestamp']);
    const after = await api.db.dataSource.query(`SELECT count(*)::int AS n FROM source_records WHERE workspace_id = $1`, [ws]);
    expect(after[0].n).toBe(before[0].n);
    expect(await profiles.findByIdentity(ws, 'user_id', 'u-ok')).toBeUndefined();
  });

  it('enforces Segment\'s limits: 32 KB per call and per batched message, 2,500 messages and 500 KB per batch', async () => {
    const big = 'x'.repeat(33 * 1024);
    const single = await post('/v1/track', { userId: 'u-big', event: 'Big', properties: { big } });
    expect(single.status).toBe(413);
    expect(((await single.json()) as { detail: string }).detail).toContain('32 KB');

    const inBatch = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u-big', event: 'Small' }, { type: 'track', userId: 'u-big', event: 'Big', properties: { big } }] });
    expect(inBatch.status).toBe(400);
    expect(await inBatch.json()).toMatchObject({ errors: [{ field: 'batch.1' }] });

    const tooMany = await post('/v1/batch', { batch: Array.from({ length: 2501 }, () => ({ type: 'track', userId: 'u', event: 'e' })) });
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ errors: [{ field: 'batch', message: 'must hold at most 2500 messages' }] });

    const tooLarge = await post('/v1/batch', { batch: Array.from({ length: 20 }, (_, i) => ({ type: 'track', userId: 'u', event: 'e', properties: { i, pad: 'y'.repeat(30 * 1024) } })) });
    expect(tooLarge.status).toBe(413);
    expect(await profiles.findByIdentity(ws, 'user_id', 'u-big')).toBeUndefined();
  });

  it('dead-letters messages ingest could not store (every identifier a blocked placeholder) without failing the others', async () => {
    const response = await post('/v1/batch', { batch: [{ type: 'identify', userId: 'null' }, { type: 'identify', userId: 'u-fine' }] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ received: 2, processed: true });
    expect(await byUser('u-fine')).toBeDefined();
    const deadLetters: { reason: string; payload: { externalId: string } }[] = await api.db.dataSource.query(`SELECT reason, payload FROM intake_dead_letters WHERE workspace_id = $1`, [ws]);
    expect(deadLetters).toEqual([{ reason: expect.stringContaining('blocked'), payload: expect.objectContaining({ externalId: 'user_id:null' }) }]);
  });

  it('works with the official @segment/analytics-node client, unmodified, pointed at this host', async () => {
    const writeKey = await api.key(ws, ['events:write']);
    const analytics = new Analytics({ writeKey, host: api.base, flushAt: 10, flushInterval: 60_000, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    analytics.identify({ userId: 'sdk-user', traits: { email: 'sdk@example.org', firstName: 'Sol' } });
    analytics.track({ userId: 'sdk-user', event: 'Trial Started', properties: { trial_days: 14 } });
    analytics.track({ anonymousId: 'sdk-anon', event: 'Viewed Page' });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(failures).toEqual([]);

    // The SDK sends no Portrait-Wait header: wait until the workspace's log is drained.
    expect(await api.app.get(IntakeLogService).waitUntilProcessed({ workspaceId: ws, firstId: '0', lastId: '9223372036854775807' }, 10_000)).toBe(true);
    const profile = await byUser('sdk-user');
    expect(profile.identities.map((i) => `${i.type}:${i.value}`)).toEqual(expect.arrayContaining(['email:sdk@example.org', 'user_id:sdk-user']));
    expect(profile.traits).toMatchObject({ first_name: 'Sol', email: 'sdk@example.org' });
    const events = (await profiles.events(ws, profile.id)).data;
    expect(events).toEqual([expect.objectContaining({ type: 'trial_started', source: 'api', properties: { trial_days: 14 } })]);
    expect(await profiles.findByIdentity(ws, 'anonymous_id', 'sdk-anon')).toBeDefined();
  });
});
