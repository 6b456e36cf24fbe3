import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import LegacyAnalytics from 'analytics-node';
import { ProfilesService } from '@portrait/core';
import { createTestApi, type TestApi } from './support/test-api.js';

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

/** A JSON object nested `levels` deep, as text (a value this deep cannot go through JSON.stringify safely). */
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

const ROUTES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

/** A valid message of each route, as JSON text without its closing brace, so that a field can be appended raw. */
const base: Record<(typeof ROUTES)[number], string> = {
  track: '{"userId":"bad-1","event":"Bad Input"',
  identify: '{"userId":"bad-1"',
  page: '{"userId":"bad-1","name":"Home"',
  screen: '{"userId":"bad-1","name":"Home"',
  group: '{"userId":"bad-1","groupId":"g-bad"',
  alias: '{"userId":"bad-1","previousId":"anon-bad"',
};
/** Where each route keeps its free-form object. */
const objectOf: Record<(typeof ROUTES)[number], string> = { track: 'properties', identify: 'traits', page: 'properties', screen: 'properties', group: 'traits', alias: 'context' };

/** Bad inputs: the raw JSON appended to a message, and the field (below the object of the route) the 400 names. */
const BAD: { name: string; raw: (object: string) => string; field: (object: string) => string; message: RegExp }[] = [
  { name: 'NUL in a string', raw: (o) => `"${o}":{"note":"a\\u0000b"}`, field: (o) => `${o}.note`, message: /NUL/ },
  { name: 'NUL in a key', raw: (o) => `"${o}":{"no\\u0000te":"x"}`, field: (o) => `${o}."no\\u0000te"`, message: /NUL/ },
  { name: 'lone high surrogate', raw: (o) => `"${o}":{"note":"\\ud800"}`, field: (o) => `${o}.note`, message: /lone surrogate/ },
  { name: 'lone low surrogate in an array', raw: (o) => `"${o}":{"list":["ok","x\\udc00"]}`, field: (o) => `${o}.list.1`, message: /lone surrogate/ },
  { name: '__proto__ key', raw: (o) => `"${o}":{"__proto__":{"admin":true}}`, field: (o) => `${o}.__proto__`, message: /^key __proto__ is not allowed$/ },
  { name: 'constructor key', raw: (o) => `"${o}":{"constructor":{"prototype":{}}}`, field: (o) => `${o}.constructor`, message: /^key constructor is not allowed$/ },
  { name: 'prototype key', raw: (o) => `"${o}":{"prototype":1}`, field: (o) => `${o}.prototype`, message: /^key prototype is not allowed$/ },
  { name: 'timestamp in year 99999', raw: () => '"timestamp":"+099999-01-01T00:00:00Z"', field: () => 'timestamp', message: /0001 and 9999/ },
  { name: 'timestamp in year 0', raw: () => '"timestamp":"0000-01-01T00:00:00Z"', field: () => 'timestamp', message: /0001 and 9999/ },
  { name: 'timestamp in year -1', raw: () => '"timestamp":"-000001-01-01T00:00:00Z"', field: () => 'timestamp', message: /0001 and 9999/ },
  { name: 'originalTimestamp in year 99999', raw: () => '"originalTimestamp":"+099999-01-01T00:00:00Z"', field: () => 'originalTimestamp', message: /0001 and 9999/ },
  { name: 'sentAt in year 0', raw: () => '"sentAt":"0000-06-01T00:00:00Z"', field: () => 'sentAt', message: /0001 and 9999/ },
];

describe('Tracking request bodies: bad input is a 4xx, bodies as real clients send them', () => {
  let api: TestApi;
  let ws: string;
  let key: string;
  let profiles: ProfilesService;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['events:write', 'profiles:read', 'webhooks:manage']);
    profiles = api.app.get(ProfilesService);
  });
  afterAll(() => api?.close());

  /** What is stored, and what waits in the intake log: a refused body adds to none of them. */
  const counts = async () => {
    await api.drained(ws);
    const [row] = (await api.db.dataSource.query(
      'SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM profiles)::int AS profiles, (SELECT count(*) FROM intake_log)::int AS pending',
    )) as { events: number; profiles: number; pending: number }[];
    return row!;
  };
  const raw = (path: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST') =>
    fetch(`${api.base}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body });
  const byUser = async (userId: string) => {
    await api.drained(ws);
    return (await profiles.findByIdentity(ws, 'user_id', userId))!;
  };

  /** Sends a body that must be refused: the status, the problem, and nothing stored. */
  const refused = async (path: string, body: string | Buffer, status: number, headers?: Record<string, string>) => {
    const before = await counts();
    const response = await raw(path, body, headers);
    const problem = (await response.json()) as Problem;
    expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
    expect(await counts()).toEqual(before);
    return problem;
  };

  for (const route of ROUTES) {
    for (const bad of BAD) {
      it(`/v1/${route}: ${bad.name} is a 400 naming the field, nothing stored`, async () => {
        const problem = await refused(`/v1/${route}`, `${base[route]},${bad.raw(objectOf[route])}}`, 400);
        expect(problem.errors).toEqual([{ field: bad.field(objectOf[route]), message: expect.stringMatching(bad.message) }]);
      });
      it(`/v1/batch: ${bad.name} in a ${route} message is a 400 naming batch.1.…, nothing stored`, async () => {
        const good = '{"type":"track","userId":"bad-ok","event":"Fine"}';
        const message = `{"type":"${route}",${base[route].slice(1)},${bad.raw(objectOf[route])}}`;
        const problem = await refused('/v1/batch', `{"batch":[${good},${message}]}`, 400);
        expect(problem.errors).toEqual([{ field: `batch.1.${bad.field(objectOf[route])}`, message: expect.stringMatching(bad.message) }]);
      });
    }
    it(`/v1/${route}: nesting 20,000 levels deep is a 400 (no stack overflow), and 33 levels too`, async () => {
      for (const levels of [20_000, 33]) {
        const problem = await refused(`/v1/${route}`, `${base[route]},"${objectOf[route]}":${nested(levels - 1)}}`, 400);
        expect(problem.errors).toEqual([{ field: '(body)', message: expect.stringContaining('nested too deeply') }]);
      }
    });
  }

  it('a batch envelope sentAt outside 0001–9999 is a 400 naming sentAt', async () => {
    const problem = await refused('/v1/batch', '{"batch":[{"type":"track","userId":"bad-1","event":"x"}],"sentAt":"+099999-01-01T00:00:00Z"}', 400);
    expect(problem.errors).toEqual([{ field: 'sentAt', message: expect.stringContaining('0001 and 9999') }]);
  });

  it('nesting up to 32 levels is stored; the years 0001 and 9999 are stored', async () => {
    const deep = `{"userId":"deep-1","event":"Deep","properties":${nested(30)}}`;
    expect((await raw('/v1/track', deep)).status).toBe(200);
    for (const timestamp of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
      expect((await raw('/v1/track', JSON.stringify({ userId: 'edge-years', event: 'Edge', timestamp, messageId: timestamp }))).status).toBe(200);
    }
    const { data } = await profiles.events(ws, (await byUser('edge-years')).id);
    expect(data.map((e) => e.occurredAt).sort()).toEqual(['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.000Z']);
  });

  it('a body that is not JSON is a 400 saying so, whatever its Content-Type', async () => {
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
      const problem = await refused('/v1/track', 'userId=u&event=x', 400, { 'content-type': type });
      expect(problem.detail).toMatch(/^the body is not valid JSON/);
    }
    const invalidUtf8 = await refused('/v1/track', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 400);
    expect(invalidUtf8.detail).toBe('the body is not valid UTF-8');
  });

  it('JSON labelled as a form or as text, or not labelled, is read as JSON on tracking routes', async () => {
    const body = JSON.stringify({ userId: 'labelled-1', event: 'Labelled' });
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) expect((await raw('/v1/track', body, { 'content-type': type })).status).toBe(200);
    // Bytes with no Content-Type at all.
    const untyped = await fetch(`${api.base}/v1/track`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: new Uint8Array(Buffer.from(body)) });
    expect(untyped.status).toBe(200);
    expect((await profiles.events(ws, (await byUser('labelled-1')).id)).data.map((e) => e.type)).toEqual(['labelled', 'labelled', 'labelled']);
  });

  it('a non-JSON body on another JSON route is a 415', async () => {
    const problem = await refused('/v1/webhook-subscriptions', '<xml/>', 415, { 'content-type': 'application/xml' });
    expect(problem).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: expect.stringContaining('application/xml') });
  });

  it('gzip, deflate (zlib or raw) and br bodies are decompressed, whatever their Content-Type; a corrupt one is a 400; an unknown encoding a 415', async () => {
    const message = (userId: string) => JSON.stringify({ batch: [{ type: 'identify', userId, traits: { email: `${userId}@example.org` } }, { type: 'track', userId, event: 'Zipped' }] });
    expect((await raw('/v1/batch', gzipSync(message('gz-1')), { 'content-encoding': 'gzip', 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect((await raw('/v1/batch', deflateSync(message('df-1')), { 'content-encoding': 'deflate' })).status).toBe(200);
    expect((await raw('/v1/batch', deflateRawSync(message('raw-1')), { 'content-encoding': 'deflate' })).status).toBe(200);
    expect((await raw('/v1/batch', brotliCompressSync(message('br-1')), { 'content-encoding': 'br' })).status).toBe(200);
    for (const userId of ['gz-1', 'df-1', 'raw-1', 'br-1']) {
      const profile = await byUser(userId);
      expect(profile.traits).toMatchObject({ email: `${userId}@example.org` });
      expect((await profiles.events(ws, profile.id)).data.map((e) => e.type)).toEqual(['zipped']);
    }
    expect((await refused('/v1/batch', Buffer.from('not gzip at all'), 400, { 'content-encoding': 'gzip' })).detail).toContain('not valid gzip');
    expect((await refused('/v1/batch', Buffer.from(message('x')), 415, { 'content-encoding': 'compress' })).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a gzip bomb (10 MB that compresses to ~10 KB) is a 413, judged on the decompressed size', async () => {
    const bomb = gzipSync(Buffer.from(`{"batch":[{"type":"track","userId":"bomb","event":"x","properties":{"pad":"${'0'.repeat(10 * 1024 * 1024)}"}}]}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const problem = await refused('/v1/batch', bomb, 413, { 'content-encoding': 'gzip' });
    expect(problem.code).toBe('PAYLOAD_TOO_LARGE');
    // Just over the batch limit once decompressed is refused too; a compressed message over 32 KB keeps its 413.
    const overBatch = gzipSync(Buffer.from(JSON.stringify({ batch: [{ type: 'track', userId: 'bomb', event: 'x', properties: { pad: 'y'.repeat(501 * 1024) } }] })));
    expect((await refused('/v1/batch', overBatch, 413, { 'content-encoding': 'gzip' })).code).toBe('PAYLOAD_TOO_LARGE');
    const overMessage = gzipSync(Buffer.from(JSON.stringify({ userId: 'bomb', event: 'x', properties: { pad: 'y'.repeat(40 * 1024) } })));
    expect((await refused('/v1/track', overMessage, 413, { 'content-encoding': 'gzip' })).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('a DELETE with Content-Type: application/json and an empty body is accepted', async () => {
    const created = await raw('/v1/webhook-subscriptions', JSON.stringify({ url: 'http://127.0.0.1:9/hook', events: ['profile.updated'] }));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const deleted = await raw(`/v1/webhook-subscriptions/${id}`, '', {}, 'DELETE');
    expect(deleted.status).toBe(204);
  });

  it('works with @segment/analytics-node unchanged', async () => {
    const analytics = new SegmentAnalytics({ writeKey: key, host: api.base, flushAt: 10, flushInterval: 60_000, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    analytics.identify({ userId: 'seg-new', traits: { email: 'seg-new@example.org' } });
    analytics.track({ userId: 'seg-new', event: 'Plan Chosen', properties: { plan: 'pro' }, timestamp: new Date('2026-04-01T10:00:00Z') });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(failures).toEqual([]);
    const profile = await byUser('seg-new');
    expect(profile.traits).toMatchObject({ email: 'seg-new@example.org' });
    expect((await profiles.events(ws, profile.id)).data).toEqual([expect.objectContaining({ type: 'plan_chosen', occurredAt: '2026-04-01T10:00:00.000Z', properties: { plan: 'pro' } })]);
  });

  it('works with the older analytics-node unchanged (batches flushed with flush())', async () => {
    const analytics = new LegacyAnalytics(key, { host: api.base, flushAt: 20, flushInterval: 60_000, enable: true });
    analytics.identify({ userId: 'legacy-1', traits: { email: 'legacy@example.org', firstName: 'Lia' } });
    analytics.track({ userId: 'legacy-1', event: 'Legacy Clicked', properties: { button: 'buy' }, timestamp: new Date('2026-04-02T10:00:00Z') });
    await new Promise<void>((resolve, reject) => analytics.flush((error?: Error) => (error ? reject(error) : resolve())));
    const profile = await byUser('legacy-1');
    expect(profile.traits).toMatchObject({ email: 'legacy@example.org', first_name: 'Lia' });
    expect((await profiles.events(ws, profile.id)).data).toEqual([expect.objectContaining({ type: 'legacy_clicked', occurredAt: '2026-04-02T10:00:00.000Z', properties: { button: 'buy' } })]);
  });

  it('works with @rudderstack/rudder-sdk-node unchanged (gzip labelled as a form; originalTimestamp honoured)', async () => {
    const errors: unknown[] = [];
    const analytics = new RudderAnalytics(key, { dataPlaneUrl: api.base, flushAt: 20, flushInterval: 60_000, retryCount: 0, errorHandler: (error: unknown) => errors.push(error) });
    analytics.identify({ userId: 'rudder-1', traits: { email: 'rudder@example.org' } });
    analytics.track({ userId: 'rudder-1', event: 'Rudder Event', properties: { n: 1 }, originalTimestamp: new Date('2026-04-03T10:00:00Z') } as Parameters<typeof analytics.track>[0]);
    await analytics.flush();
    expect(errors).toEqual([]);
    const profile = await byUser('rudder-1');
    expect(profile.traits).toMatchObject({ email: 'rudder@example.org' });
    const [event] = (await profiles.events(ws, profile.id)).data;
    expect(event).toMatchObject({ type: 'rudder_event', properties: { n: 1 } });
    // Corrected for clock skew as Segment does (receivedAt − (sentAt − originalTimestamp)): within a few seconds of it.
    expect(Math.abs(Date.parse(event!.occurredAt) - Date.parse('2026-04-03T10:00:00Z'))).toBeLessThan(5_000);
  });
});
