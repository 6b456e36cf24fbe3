import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  ConnectorAuthError,
  ConnectorRateLimitError,
  ConnectorTransientError,
  defineConnector,
  InvalidRecordError,
  WebhookSignatureError,
  type PrivacyRequest,
  type ProfileFact,
  type ReadMessage,
  type StreamState,
} from '@portrait/connector-sdk';
import { z } from 'zod';

/** A small connector with a secret: `apiKey` must be `good-key`, otherwise every read is refused. */
export const keyedConnector = defineConnector({
  manifest: {
    id: 'keyed',
    name: 'Keyed',
    version: '0.1.0',
    description: 'A connector with a secret API key, for tests.',
    kind: 'source',
    configSchema: z.object({
      apiKey: z.string().min(8, 'must be at least 8 characters'),
      account: z.string().regex(/^[a-z]+$/, 'must be lower-case letters'),
      people: z.number().int().min(0).default(3),
    }),
    secretFields: ['apiKey'],
    streams: [{ name: 'people', primaryKey: ['id'], cursorField: 'id', syncModes: ['full', 'incremental'] }],
    defaultSchedule: '0 * * * *',
    capabilities: {},
  },
  async check(config) {
    return config.apiKey === 'good-key-123' ? { ok: true } : { ok: false, reason: 'credentials refused (HTTP 401)' };
  },
  async *read(request, config, ctx): AsyncGenerator<ReadMessage> {
    if (config.apiKey !== 'good-key-123') throw new ConnectorAuthError(`credentials refused (HTTP 401) for key ${config.apiKey}`);
    ctx.logger.warn({ account: config.account }, `reading with key ${config.apiKey}`);
    const from = typeof request.state?.next === 'number' ? request.state.next : 0;
    for (let i = from; i < config.people; i++) {
      yield { type: 'facts', facts: [{ source: 'keyed', externalId: `k-${i}`, kind: 'person', identities: [{ type: 'email', value: `k${i}@${config.account}.test` }], observedAt: '2026-01-01T00:00:00Z' } as never] };
    }
    yield { type: 'checkpoint', state: { next: Math.max(from, config.people) } };
  },
});

/** Controls of the counting connector, shared with the tests. */
export const counting = {
  /** Throw after this many checkpoints of the current read (undefined: never). */
  failAfterCheckpoints: undefined as number | undefined,
  /** States each read started from. */
  startedFrom: [] as (StreamState | undefined)[],
  /** Milliseconds to wait between pages (to keep a run running). */
  delayMs: 0,
  /** Rate-limited by the vendor on the next read (once). */
  rateLimitOnce: false,
};

/**
 * Reads `total` people, a page of `page` at a time, each with an order event, checkpointing
 * `{ offset }` after each page. Can be told to fail part-way (a crash after k checkpoints).
 */
export const countingConnector = defineConnector({
  manifest: {
    id: 'counting',
    name: 'Counting',
    version: '0.1.0',
    description: 'Pages of people with events, for resume tests.',
    kind: 'source',
    configSchema: z.object({ total: z.number().int().min(1), page: z.number().int().min(1) }),
    secretFields: [],
    streams: [{ name: 'people', primaryKey: ['id'], cursorField: 'offset', syncModes: ['full', 'incremental'] }],
    defaultSchedule: '0 * * * *',
    capabilities: {},
  },
  check: async () => ({ ok: true }),
  async *read(request, config, ctx): AsyncGenerator<ReadMessage> {
    counting.startedFrom.push(request.state);
    if (counting.rateLimitOnce) {
      counting.rateLimitOnce = false;
      throw new ConnectorRateLimitError('too many requests (HTTP 429)', { retryAfterMs: 30_000 });
    }
    let offset = typeof request.state?.offset === 'number' ? request.state.offset : 0;
    let checkpoints = 0;
    while (offset < config.total) {
      if (counting.delayMs) await new Promise((resolve) => setTimeout(resolve, counting.delayMs));
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const end = Math.min(offset + config.page, config.total);
      const facts = [];
      for (let i = offset; i < end; i++) {
        facts.push({
          source: 'counting',
          externalId: `p-${i}`,
          kind: 'person',
          identities: [{ type: 'email', value: `person${i}@example.com` }],
          traits: { first_name: `Person ${i}`, 'counting.rank': i },
          events: [{ type: 'order_placed', occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), properties: { amount: i }, dedupeKey: `order-${i}` }],
          observedAt: '2026-01-01T00:00:00Z',
        });
      }
      yield { type: 'facts', facts: facts as never };
      if (counting.failAfterCheckpoints !== undefined && checkpoints >= counting.failAfterCheckpoints) {
        throw new ConnectorTransientError('upstream went away (HTTP 503)', { status: 503 });
      }
      offset = end;
      yield { type: 'checkpoint', state: { offset } };
      checkpoints++;
    }
    yield { type: 'checkpoint', state: { offset } };
  },
});

/** The signature the `hooked` channel puts on its webhooks: HMAC-SHA256 of the raw body, hex. */
export function hookedSignature(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * A channel that pushes contacts by webhook, signed with a shared secret; it has nothing to read.
 * Contacts without an email become facts without identities, which the ingest refuses. A body's
 * `privacy` list is forwarded as it is as privacy requests (a person's erasure or data request).
 */
export const hookedConnector = defineConnector({
  manifest: {
    id: 'hooked',
    name: 'Hooked',
    version: '0.1.0',
    description: 'Contacts pushed by signed webhooks, for tests.',
    kind: 'source',
    configSchema: z.object({ signingSecret: z.string().min(16) }),
    secretFields: ['signingSecret'],
    streams: [{ name: 'contacts', primaryKey: ['id'], syncModes: ['full'] }],
    defaultSchedule: '0 0 * * *',
    capabilities: { webhooks: true },
  },
  check: async () => ({ ok: true }),
  // Nothing to read: this channel only pushes.
  async *read(): AsyncGenerator<ReadMessage> {},
  async parseWebhook(request, config) {
    const expected = Buffer.from(hookedSignature(config.signingSecret, request.rawBody));
    const given = Buffer.from(request.headers['x-hooked-signature'] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookSignatureError('the x-hooked-signature header does not match the body');
    const body = request.body as { contacts?: { id: string; email?: string; name?: string }[]; privacy?: PrivacyRequest[] } | undefined;
    if (!Array.isArray(body?.contacts)) throw new InvalidRecordError('expected a JSON body {"contacts": [...]}', body, 'webhook body');
    const facts = body.contacts.map(
      (c): ProfileFact =>
        ({
          source: 'hooked',
          externalId: c.id,
          kind: 'person',
          identities: c.email ? [{ type: 'email', value: c.email }] : [],
          traits: c.name ? { first_name: c.name } : {},
          observedAt: '2026-02-01T00:00:00Z',
        }) as ProfileFact,
    );
    if (body.privacy) return { facts, privacyRequests: body.privacy };
    return { facts, response: { status: 202, body: { received: facts.length } } };
  },
});

/**
 * The tag destination's own state — the emails tagged now, by segment key — and every call it took,
 * with its controls: fail the next `failures` pushes (as a channel that is down), take `delayMs` per push.
 */
export const tagged = {
  members: new Map<string, Set<string>>(),
  calls: [] as { key: string; entered: string[]; exited: string[] }[],
  failures: 0,
  delayMs: 0,
};

/**
 * A destination that tags people by email, as an email-marketing channel would; its token must be
 * `tag-token-123`, and people without an email are skipped. A failed push changes nothing of its state.
 * The tag is the connection's option `tag`, or the segment's key.
 */
export const tagConnector = defineConnector({
  manifest: {
    id: 'tagger',
    name: 'Tagger',
    version: '0.1.0',
    description: 'A destination tagging members of segments by email, for tests.',
    kind: 'both',
    configSchema: z.object({ token: z.string().min(8) }),
    destinationOptionsSchema: z.object({ tag: z.string().min(1, 'must not be empty').optional() }).strict(),
    secretFields: ['token'],
    streams: [{ name: 'nothing', primaryKey: ['id'], syncModes: ['full'] }],
    defaultSchedule: '0 0 * * *',
    capabilities: { destination: true },
  },
  async check() {
    return { ok: true };
  },
  async *read(): AsyncGenerator<ReadMessage> {},
  checkDestinationOptions: (options, config) => (options.tag === config.token ? [{ field: 'tag', message: 'must not be the token' }] : []),
  async syncSegment(segment, diff, config) {
    const tag = segment.options.tag ?? segment.key;
    if (config.token !== 'tag-token-123') throw new ConnectorAuthError(`token ${config.token} refused (HTTP 401)`);
    if (tagged.delayMs) await new Promise((resolve) => setTimeout(resolve, tagged.delayMs));
    if (tagged.failures > 0) {
      tagged.failures--;
      throw new ConnectorTransientError('the tagging service is unavailable (HTTP 503)');
    }
    const members = tagged.members.get(tag) ?? new Set<string>();
    const email = (m: { identities: Record<string, string[]> }) => m.identities.email?.[0];
    const skipped = [...diff.entered, ...diff.exited].filter((m) => !email(m)).map((m) => ({ profileId: m.profileId, reason: 'no email' }));
    for (const m of diff.entered) if (email(m)) members.add(email(m)!);
    for (const m of diff.exited) if (email(m)) members.delete(email(m)!);
    tagged.members.set(tag, members);
    tagged.calls.push({ key: tag, entered: diff.entered.map((m) => email(m) ?? '-'), exited: diff.exited.map((m) => email(m) ?? '-') });
    return { synced: diff.entered.length + diff.exited.length - skipped.length, skipped };
  },
});

/** A JSON object nested `levels` deep, built without recursion. */
function nestedObject(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/**
 * One page of facts, one good and the others each with something PostgreSQL cannot store or a key
 * that is refused: every bad one must be dead-lettered with its reason, the good one stored.
 */
export const unstorableConnector = defineConnector({
  manifest: {
    id: 'unstorable',
    name: 'Unstorable',
    version: '0.1.0',
    description: 'Records with NUL characters, lone surrogates, out-of-range dates and deep nesting, for tests.',
    kind: 'source',
    configSchema: z.object({}),
    secretFields: [],
    streams: [{ name: 'people', primaryKey: ['id'], syncModes: ['full'] }],
    defaultSchedule: '0 * * * *',
    capabilities: {},
  },
  check: async () => ({ ok: true }),
  async *read(): AsyncGenerator<ReadMessage> {
    const fact = (id: string, extra: Record<string, unknown> = {}) => ({
      source: 'unstorable',
      externalId: id,
      identities: [{ type: 'email', value: `${id}@unstorable.test` }],
      observedAt: '2026-01-01T00:00:00Z',
      ...extra,
    });
    const event = (extra: Record<string, unknown>) => ({ type: 'order_placed', occurredAt: '2026-01-02T00:00:00Z', properties: {}, ...extra });
    yield {
      type: 'facts',
      facts: [
        fact('good'),
        fact('nul-trait', { traits: { first_name: 'A\u0000na' } }),
        fact('surrogate-property', { events: [event({ properties: { note: 'x\ud800' } })] }),
        fact('nul-key', { traits: { city: 'Recife' }, events: [event({ properties: { 'no\u0000te': 'x' } })] }),
        fact('year-zero', { observedAt: '0000-01-01T00:00:00Z' }),
        fact('year-99999', { events: [event({ occurredAt: '+099999-01-01T00:00:00Z' })] }),
        fact('year-minus-one', { events: [event({ occurredAt: new Date('-000001-01-01T00:00:00Z') })] }),
        fact('deep', { events: [event({ properties: nestedObject(20_000) })] }),
        fact('proto', { events: [event({ properties: JSON.parse('{"__proto__":{"admin":true}}') as Record<string, unknown> })] }),
      ] as never,
    };
  },
});

/** The tagging destination of an e-mail channel: only people who granted `email_marketing` may be sent to it. */
export const consentTagConnector = defineConnector({
  ...tagConnector,
  manifest: { ...tagConnector.manifest, id: 'consent-tagger', name: 'Consent tagger', capabilities: { destination: true, destinationConsent: 'email_marketing' } },
});
