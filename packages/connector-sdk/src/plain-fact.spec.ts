import fc from 'fast-check';
import { parsePlainFact } from './plain-fact.js';
import { profileFactSchema, validateFact } from './profile-fact.js';

/** Facts as plugins write them, with every field now and then wrong, odd or missing. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
const odd = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(Number.NaN),
  fc.constant(Infinity),
  fc.constant(''),
  fc.constant('x'.repeat(600)),
  fc.constant([]),
  fc.constant({}),
  fc.constant(Object.create(null) as object),
  fc.constant(JSON.parse('{"__proto__": {"a": 1}}') as object),
  fc.constant({ constructor: 'x' }),
  fc.constant({ [Symbol('s')]: 1 }),
  fc.constant([1, , 3]),
  fc.constant(new Date('nope')),
  fc.constant(new Map()),
  fc.integer(),
  fc.string(),
);
/** One of `good` mostly, one of `bad` now and then. */
const mostly = <T>(good: T[], bad: T[]) => fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const sometimesOdd = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 40, arbitrary: arb }, { weight: 1, arbitrary: odd });
const key = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom('email', 'first_name', 'country', 'mailchimp.rating', 'shopify.tags', 'total') },
  { weight: 1, arbitrary: fc.constantFrom('Bad Key', 'constructor', '__proto__') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), tie('record')),
  record: fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
})).value;
const record = sometimesOdd(fc.dictionary(key, sometimesOdd(json), { maxKeys: 5, noNullPrototype: true }));
/** Dates PostgreSQL stores (years 0001–9999) mostly; the ones outside are among the odd values. */
const storableDate = fc.date({ noInvalidDate: true, min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z') });
const instant = sometimesOdd(
  fc.oneof(
    { weight: 8, arbitrary: storableDate },
    { weight: 8, arbitrary: storableDate.map((d) => d.toISOString()) },
    { weight: 8, arbitrary: mostly(
      ['2026-11-01', '2026-11-01T10:00:00+02:00', '2025-02-30T00:00:00Z', '2024-02-29T23:59:59.999Z', '2025-02-29T00:00:00.000Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z'],
      ['yesterday', '2025-04-31T00:00:00.000Z', '2025-13-01T00:00:00.000Z', '2025-01-01T24:00:00.000Z', '0000-01-01T00:00:00.000Z', '+099999-01-01T00:00:00Z', '-000001-01-01T00:00:00Z'],
    ) },
    { weight: 1, arbitrary: fc.date({ noInvalidDate: true }) },
  ),
);
const identity = sometimesOdd(fc.record({ type: sometimesOdd(mostly(['email', 'phone', 'shopify_customer_id'], ['Email'])), value: sometimesOdd(fc.string({ minLength: 1, maxLength: 20 })), extra: maybe(fc.string()) }, { requiredKeys: ['type', 'value'], noNullPrototype: true }));
const identities = sometimesOdd(fc.array(identity, { maxLength: 4 }));
const event = sometimesOdd(
  fc.record(
    { type: sometimesOdd(mostly(['order_placed', 'email_opened'], ['Order Placed'])), occurredAt: instant, properties: maybe(record), dedupeKey: maybe(sometimesOdd(fc.string({ maxLength: 12 }))) },
    { requiredKeys: ['type', 'occurredAt'], noNullPrototype: true },
  ),
);
const consent = sometimesOdd(fc.record({ purpose: sometimesOdd(mostly(['email_marketing', 'sms'], ['Bad'])), granted: sometimesOdd(fc.boolean()), at: instant }, { noNullPrototype: true }));
const fact = fc.record(
  {
    source: sometimesOdd(mostly(['shopify', 'csv-visits'], ['Shopify'])),
    externalId: sometimesOdd(fc.string({ minLength: 1, maxLength: 12 })),
    kind: maybe(sometimesOdd(mostly(['person', 'account'], ['robot']))),
    identities,
    traits: maybe(record),
    events: maybe(sometimesOdd(fc.array(event, { maxLength: 4 }))),
    consent: maybe(sometimesOdd(fc.array(consent, { maxLength: 2 }))),
    account: maybe(sometimesOdd(fc.record({ externalId: maybe(sometimesOdd(fc.string({ maxLength: 8 }))), identities, traits: maybe(record) }, { requiredKeys: ['identities'], noNullPrototype: true }))),
    observedAt: instant,
    unknown: maybe(fc.string()),
  },
  { requiredKeys: ['source', 'externalId', 'identities', 'observedAt'], noNullPrototype: true },
);

describe('parsePlainFact', () => {
  it('answers exactly what the schema answers, or leaves the fact to the schema', () => {
    let valid = 0;
    let answered = 0;
    fc.assert(
      fc.property(sometimesOdd(fact), (input) => {
        const plain = parsePlainFact(input);
        const schema = profileFactSchema.safeParse(input);
        if (schema.success) valid++;
        if (plain === undefined) return;
        answered++;
        expect(schema.success).toBe(true);
        expect(plain).toEqual(schema.data);
      }),
      { numRuns: 3000, seed: 20261202 },
    );
    // Both kinds are well represented, and the common case (plain and valid) does not fall through.
    expect(valid).toBeGreaterThan(400);
    expect(valid).toBeLessThan(2400);
    expect(answered).toBeGreaterThan(valid * 0.8);
  });

  it('reads a timestamp already in ISO-8601 UTC form as the schema does, for every day of leap and common years', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    for (const year of [0, 1900, 2000, 2023, 2024, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const input = { source: 'shopify', externalId: '1', identities: [{ type: 'email', value: 'a@b.c' }], observedAt: `${pad(year, 4)}-${pad(month)}-${pad(day)}T12:34:56.789Z` };
          const plain = parsePlainFact(input);
          const schema = profileFactSchema.safeParse(input);
          if (plain) expect(plain.observedAt).toBe(schema.data?.observedAt);
          else expect(schema.success && schema.data.observedAt === input.observedAt).toBe(false);
        }
      }
    }
  });

  it('takes a typical fact itself; validateFact still names the problems of the others', () => {
    const typical = {
      source: 'shopify',
      externalId: '42',
      identities: [{ type: 'email', value: 'Ana@Example.com' }],
      traits: { first_name: 'Ana', 'shopify.tags': ['vip'], address: { city: 'Recife' } },
      events: [{ type: 'order_placed', occurredAt: new Date('2026-11-01T10:00:00Z'), properties: { total: 10, items: [{ sku: 'a' }] }, dedupeKey: 'o1' }],
      consent: [{ purpose: 'email_marketing', granted: true, at: '2026-11-01T10:00:00+02:00' }],
      account: { identities: [{ type: 'domain', value: 'example.com' }] },
      observedAt: '2026-11-01T10:00:00Z',
    };
    expect(parsePlainFact(typical)).toEqual(profileFactSchema.parse(typical));
    expect(parsePlainFact({ ...typical, events: [{ ...typical.events[0], occurredAt: 'soon' }] })).toBeUndefined();
    expect(validateFact({ ...typical, events: [{ ...typical.events[0], occurredAt: 'soon' }] })).toEqual({ ok: false, reason: 'events.0.occurredAt: must be an ISO-8601 timestamp' });
  });
});
