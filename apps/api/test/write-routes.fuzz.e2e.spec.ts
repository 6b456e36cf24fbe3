import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { API_KEY_SCOPES, SourcesService } from '@portrait/core';
import { PUSH_SECRET, pushConnector, signPush } from './support/push-connector.js';
import { createTestApi, type TestApi } from './support/test-api.js';

/**
 * Every public write route under hostile input: wrong types, huge and deep values, unicode edge
 * cases, refused keys, SQL in strings, timestamps at the edges, bodies that are not JSON or are
 * compressed. Never a 5xx, never a hang, and nothing stored when the answer is a refusal.
 * `FUZZ_RUNS` (default 100) runs per route; e.g. `FUZZ_RUNS=5000` for a long run (`FUZZ_SEED` replays one).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const REQUEST_TIMEOUT_MS = 15_000;

const TIMESTAMPS = [
  '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '0000-01-01T00:00:00Z', '+099999-01-01T00:00:00Z', '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z', '+275760-09-13T00:00:00.001Z', '1970-01-01T00:00:00Z', '2026-02-30T00:00:00Z', 'yesterday', '', 'NaN', '2026-01-01T24:00:00Z',
];
const STRINGS = [
  '\u0000', 'a\u0000b', '\ud800', '\udc00x', '\ud83d\ude00', '\u202e', '\ufeff', 'é', 'e\u0301', '\u{10ffff}',
  "'; DROP TABLE profiles; --", "' OR '1'='1", '$1', '\\', '%00', '{{7*7}}', '<script>alert(1)</script>', 'null', 'undefined', ' ', '',
  'x'.repeat(600), 'y'.repeat(40_000),
];
const KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'userId', 'anonymousId', 'event', 'type', 'traits', 'properties',
  'context', 'timestamp', 'originalTimestamp', 'sentAt', 'messageId', 'batch', 'groupId', 'previousId', 'email', 'url', 'events', 'id', 'a\u0000', '\ud800',
];

const hostileString = fc.oneof(fc.constantFrom(...STRINGS, ...TIMESTAMPS), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 20 }));
const hostileNumber = fc.oneof(fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 1, -1), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
const hostileKey = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) });
/** Objects from JSON.parse, so that `__proto__` is an own key as a client would send it. */
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, hostileString, hostileNumber, fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), tie('object')),
  object: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 }),
})).value;

/** JSON text of a hostile value: objects are written from key/value pairs (duplicate and `__proto__` keys included). */
function toJson(value: unknown): string {
  if (Array.isArray(value) && value.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string')) {
    return `{${(value as [string, unknown][]).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  return JSON.stringify(value);
}

/** An object with hostile keys and values, as JSON text. */
const hostileObject = fc.array(fc.tuple(hostileKey, hostileJson), { maxLength: 6 }).map(toJson);
/**
 * A message of the route that is valid but for hostile free-form objects and timestamps (so that most
 * reach the ingest), one with the route's fields set to hostile values, or anything at all.
 */
const messageLike = (fields: string[], valid = '"userId":"fuzz-user","event":"Fuzzed","groupId":"fuzz-group","previousId":"fuzz-anon","type":"track"') =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom('properties', 'traits', 'context'), hostileObject, fc.option(fc.constantFrom(...TIMESTAMPS), { nil: undefined }))
        .map(([field, object, timestamp]) => `{${valid},"${field}":${object}${timestamp === undefined ? '' : `,"timestamp":${JSON.stringify(timestamp)}`}}`),
    },
    { weight: 2, arbitrary: fc.array(fc.tuple(fc.constantFrom(...fields), hostileJson), { maxLength: 8 }).map(toJson) },
    { weight: 1, arbitrary: hostileJson.map(toJson) },
  );
const FIELDS = ['userId', 'anonymousId', 'event', 'name', 'category', 'groupId', 'previousId', 'traits', 'properties', 'context', 'integrations', 'timestamp', 'originalTimestamp', 'sentAt', 'messageId', 'type'];
const batchLike = fc.oneof(
  { weight: 3, arbitrary: fc.array(messageLike(FIELDS), { maxLength: 5 }).map((messages) => `{"batch":[${messages.join(',')}]}`) },
  { weight: 1, arbitrary: messageLike(['batch', 'context', 'sentAt', 'integrations'], '"batch":[{"type":"track","userId":"fuzz-user","event":"Fuzzed"}]') },
);
/** Bodies that are not plain JSON at all. */
const oddBody = fc.oneof(
  fc.integer({ min: 30, max: 30_000 }).map((levels) => `${'['.repeat(levels)}${']'.repeat(levels)}`),
  fc.integer({ min: 30, max: 30_000 }).map((levels) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`),
  fc.constantFrom('', 'not json', '{', '{"a":1,}', 'userId=u&event=x', '\u0000', '[]', '0', '"x"', 'null', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}'),
  fc.string({ unit: 'binary', maxLength: 60 }),
);

/** A path segment for a hostile id: percent-encoded; an id with a lone surrogate becomes bytes that are not UTF-8. */
function segment(id: string): string {
  try {
    return encodeURIComponent(id) || 'x';
  } catch {
    return `%ED%A0%80${encodeURIComponent(id.replace(/[\ud800-\udfff]/g, ''))}`;
  }
}

interface Request {
  body: string;
  contentType: string;
  gzip: boolean;
}
const request = (json: fc.Arbitrary<string>): fc.Arbitrary<Request> =>
  fc.record({
    body: fc.oneof({ weight: 5, arbitrary: json }, { weight: 1, arbitrary: oddBody }),
    contentType: fc.constantFrom('application/json', 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream', 'application/xml'),
    gzip: fc.boolean(),
  });

describe('public write routes under hostile input', () => {
  let api: TestApi;
  let ws: string;
  let key: string;
  let sourceId: string;

  beforeAll(async () => {
    api = await createTestApi({ connectors: [pushConnector] });
    ws = await api.workspace();
    // A per-minute limit no run reaches: the answers are about the input, not the rate.
    key = await api.key(ws, [...API_KEY_SCOPES], 1_000_000);
    sourceId = (await api.app.get(SourcesService).create(ws, { connectorId: 'pusher', name: 'fuzzed hooks', config: { signingSecret: PUSH_SECRET } })).id;
  });
  afterAll(() => api?.close());

  /** What is stored, and what waits in the intake log (drained first, so earlier accepted calls do not land in between). */
  const counts = async () => {
    await api.drained(ws);
    return (
      (await api.db.dataSource.query(
        `SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM profiles)::int AS profiles,
                (SELECT count(*) FROM dead_letters)::int AS dead_letters, (SELECT count(*) FROM webhook_subscriptions)::int AS subscriptions,
                (SELECT count(*) FROM intake_log)::int AS pending, (SELECT count(*) FROM intake_dead_letters)::int AS intake_dead_letters`,
      )) as Record<string, number>[]
    )[0]!;
  };

  /** Sends one request; fails on a 5xx, a hang, or a refusal that stored something. */
  const send = async (method: string, path: string, input: Request, headers: Record<string, string> = {}) => {
    const before = await counts();
    const bytes = input.gzip ? gzipSync(Buffer.from(input.body)) : Buffer.from(input.body);
    const response = await fetch(`${api.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': input.contentType, ...(input.gzip ? { 'content-encoding': 'gzip' } : {}), ...headers },
      body: method === 'GET' ? undefined : bytes,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (response.status >= 500) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    if (response.status >= 400) expect(await counts()).toEqual(before);
    return response.status;
  };

  const tally = (statuses: Map<number, number>, status: number): void => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  };

  /** Each write operation of the OpenAPI document, and what is sent to it. */
  const ROUTES: Record<string, (statuses: Map<number, number>) => fc.IAsyncProperty<[Request]> | fc.IAsyncProperty<[Request, string]>> = Object.fromEntries([
    ...['track', 'identify', 'page', 'screen', 'group', 'alias'].map((route) => [
      `post /v1/${route}`,
      (statuses: Map<number, number>) => fc.asyncProperty(request(messageLike(FIELDS)), async (input) => tally(statuses, await send('POST', `/v1/${route}`, input))),
    ]),
    ['post /v1/batch', (statuses: Map<number, number>) => fc.asyncProperty(request(batchLike), async (input) => tally(statuses, await send('POST', '/v1/batch', input)))],
    [
      'post /v1/webhooks/sources/{sourceId}',
      (statuses: Map<number, number>) =>
        fc.asyncProperty(request(messageLike(['id', 'email', 'first_name', 'customer', 'shop_domain'], '"id":"fuzz-customer","email":"fuzz@shop.example"')), fc.constantFrom('signed', 'unsigned', 'redact'), async (input, how) => {
          const headers: Record<string, string> = how === 'unsigned' ? {} : { 'x-pusher-hmac-sha256': signPush(input.body) };
          if (how === 'redact') Object.assign(headers, { 'x-pusher-topic': 'customers/redact', 'x-pusher-webhook-id': 'fuzz' });
          // The signature is over the bytes the connector sees: decompressed ones.
          tally(statuses, await send('POST', `/v1/webhooks/sources/${sourceId}`, input, headers));
        }),
    ],
    [
      'post /v1/webhook-subscriptions',
      (statuses: Map<number, number>) => fc.asyncProperty(request(messageLike(['url', 'events', 'description', 'secret'], '"url":"http://127.0.0.1:9/fuzz","events":["profile.updated"]')), async (input) => tally(statuses, await send('POST', '/v1/webhook-subscriptions', input))),
    ],
    [
      'delete /v1/webhook-subscriptions/{id}',
      (statuses: Map<number, number>) =>
        fc.asyncProperty(request(hostileJson.map(toJson)), hostileString, async (input, id) => tally(statuses, await send('DELETE', `/v1/webhook-subscriptions/${segment(id)}`, input))),
    ],
    [
      'delete /v1/profiles/{id}',
      (statuses: Map<number, number>) =>
        fc.asyncProperty(request(hostileJson.map(toJson)), hostileString, async (input, id) => tally(statuses, await send('DELETE', `/v1/profiles/${segment(id)}`, input))),
    ],
  ]);

  it('covers every write operation of the OpenAPI document', async () => {
    const document = (await (await fetch(`${api.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const writes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).filter((method) => ['post', 'put', 'patch', 'delete'].includes(method)).map((method) => `${method} ${path}`),
    );
    expect(writes.sort()).toEqual(Object.keys(ROUTES).sort());
  });


  for (const route of [
    'post /v1/track', 'post /v1/identify', 'post /v1/page', 'post /v1/screen', 'post /v1/group', 'post /v1/alias', 'post /v1/batch',
    'post /v1/webhooks/sources/{sourceId}', 'post /v1/webhook-subscriptions', 'delete /v1/webhook-subscriptions/{id}', 'delete /v1/profiles/{id}',
  ]) {
    it(`${route}: never a 5xx, never a hang, nothing stored on a refusal (${RUNS} runs)`, async () => {
      const statuses = new Map<number, number>();
      await fc.assert(ROUTES[route]!(statuses) as fc.IAsyncProperty<unknown[]>, { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined });
      // FUZZ_REPORT=1 prints how often each status was answered.
      if (process.env.FUZZ_REPORT) console.log(route, Object.fromEntries(statuses));
      // Refusals are what the hostile input mostly earns; they are all 4xx.
      expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
      expect([...statuses.keys()].some((status) => status >= 400)).toBe(true);
    }, 60_000 + RUNS * 500);
  }
});
