import { validateFact } from './profile-fact.js';

const base = {
  source: 'shopify',
  externalId: '42',
  identities: [{ type: 'email', value: 'Ana@Example.com' }],
  observedAt: '2026-11-01T10:00:00Z',
};

describe('validateFact', () => {
  it('applies defaults and normalizes timestamps to ISO-8601 UTC', () => {
    const result = validateFact({ ...base, observedAt: new Date('2026-11-01T12:00:00+02:00') });
    expect(result).toEqual({
      ok: true,
      fact: { ...base, kind: 'person', traits: {}, events: [], consent: [], observedAt: '2026-11-01T10:00:00.000Z' },
    });
  });

  it('names every offending field in the reason', () => {
    const result = validateFact({ ...base, identities: [{ type: 'Email', value: '' }], observedAt: 'yesterday' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('identities.0.type');
    expect(result.reason).toContain('identities.0.value: must not be empty');
    expect(result.reason).toContain('observedAt: must be an ISO-8601 timestamp');
  });

  it('rejects a vocabulary trait of the wrong type but accepts namespaced channel traits', () => {
    expect(validateFact({ ...base, traits: { email: 42 } })).toEqual({ ok: false, reason: 'traits.email: must be a string or null' });
    expect(validateFact({ ...base, traits: { 'mailchimp.avg_open_rate': 0.4, country: 'BR' } }).ok).toBe(true);
    expect(validateFact({ ...base, traits: { 'Bad Key': 1 } }).ok).toBe(false);
  });

  it('rejects a fact without identities', () => {
    const result = validateFact({ ...base, identities: [] });
    expect(result).toEqual({ ok: false, reason: 'identities: a fact needs at least one identity' });
  });
});
