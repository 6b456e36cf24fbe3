import { findJsonProblems, toStorableJson, unstorableDateReason } from './storable-json.js';
import { validateFact } from './profile-fact.js';

const deep = (levels: number) => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

describe('findJsonProblems', () => {
  it('names NUL characters, lone surrogates and refused keys by their path (an object\'s keys first)', () => {
    const value = JSON.parse('{"ok":"fine \\ud83d\\ude00","note":"a\\u0000b","list":["x","\\udc00"],"__proto__":1,"nested":{"constructor":2,"prototype":3},"k\\u0000":4}');
    expect(findJsonProblems(value, { maxDepth: 32, prefix: 'properties' })).toEqual([
      { field: 'properties.__proto__', message: 'key __proto__ is not allowed' },
      { field: 'properties."k\\u0000"', message: 'key must not contain a NUL character (\\u0000)' },
      { field: 'properties.note', message: 'must not contain a NUL character (\\u0000)' },
      { field: 'properties.list.1', message: 'must be valid Unicode (it holds a lone surrogate)' },
      { field: 'properties.nested.constructor', message: 'key constructor is not allowed' },
      { field: 'properties.nested.prototype', message: 'key prototype is not allowed' },
    ]);
  });

  it('answers a value nested 100,000 levels deep without overflowing the stack; 32 levels pass', () => {
    expect(findJsonProblems(deep(100_000), { maxDepth: 32 })).toEqual([{ field: expect.stringMatching(/^(a\.){31}a$/), message: expect.stringContaining('nested too deeply') }]);
    expect(findJsonProblems(deep(32), { maxDepth: 32 })).toEqual([]);
    expect(findJsonProblems(deep(33), { maxDepth: 32 })).toHaveLength(1);
  });

  it('leaves Dates and other non-plain objects alone', () => {
    expect(findJsonProblems({ at: new Date(), n: 1, b: true, z: null }, { maxDepth: 2 })).toEqual([]);
  });
});

describe('unstorableDateReason', () => {
  it('accepts the years 0001 to 9999 only', () => {
    expect(unstorableDateReason(new Date('0001-01-01T00:00:00Z'))).toBeUndefined();
    expect(unstorableDateReason(new Date('9999-12-31T23:59:59.999Z'))).toBeUndefined();
    for (const text of ['0000-12-31T23:59:59Z', '+010000-01-01T00:00:00Z', '+099999-01-01T00:00:00Z', '-000001-01-01T00:00:00Z']) {
      expect(unstorableDateReason(new Date(text))).toBe('must be a date between the years 0001 and 9999');
    }
  });
});

describe('toStorableJson', () => {
  it('replaces NUL and lone surrogates, keeps __proto__ as a plain key, cuts deep nesting, and JSON.stringify then works', () => {
    const copy = toStorableJson(JSON.parse('{"a":"x\\u0000y","b\\ud800":["\\udc00ok"],"__proto__":{"admin":true}}')) as Record<string, unknown>;
    expect(JSON.stringify(copy)).toBe('{"a":"x\ufffdy","b\ufffd":["\ufffdok"],"__proto__":{"admin":true}}');
    expect(Object.getPrototypeOf(copy)).toBeNull();
    const cut = JSON.stringify(toStorableJson(deep(100_000), 3));
    expect(cut).toBe('{"a":{"a":{"a":"[nested too deeply]"}}}');
  });
});

describe('validateFact and unstorable values', () => {
  const base = { source: 'shop', externalId: 'x', identities: [{ type: 'email', value: 'a@b.test' }], observedAt: '2026-01-01T00:00:00Z' };
  it('refuses NUL, lone surrogates, deep nesting and dates outside 0001–9999 with the field named', () => {
    expect(validateFact({ ...base, traits: { city: 'Re\u0000cife' } })).toEqual({ ok: false, reason: 'traits.city: must not contain a NUL character (\\u0000)' });
    expect(validateFact({ ...base, identities: [{ type: 'email', value: '\ud800@b.test' }] })).toEqual({ ok: false, reason: 'identities.0.value: must be valid Unicode (it holds a lone surrogate)' });
    expect(validateFact({ ...base, observedAt: '+099999-01-01T00:00:00Z' })).toEqual({ ok: false, reason: 'observedAt: must be a date between the years 0001 and 9999' });
    expect(validateFact({ ...base, observedAt: new Date('0000-06-01T00:00:00Z') })).toEqual({ ok: false, reason: 'observedAt: must be a date between the years 0001 and 9999' });
    expect(validateFact({ ...base, events: [{ type: 'x', occurredAt: '2026-01-01T00:00:00Z', properties: deep(20_000) }] })).toMatchObject({ ok: false, reason: expect.stringContaining('nested too deeply') });
    expect(validateFact({ ...base, observedAt: '0001-01-01T00:00:00Z' }).ok).toBe(true);
  });
});
