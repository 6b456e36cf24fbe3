import { validatePrivacyRequest } from './privacy-request.js';

describe('validatePrivacyRequest', () => {
  it('accepts an erasure or a data request with identities and an optional reference', () => {
    const erase = { type: 'erase', identities: [{ type: 'email', value: 'Ana@Example.com' }, { type: 'shopify_customer_id', value: '207119551' }], reference: 'redact-1' };
    expect(validatePrivacyRequest(erase)).toEqual({ ok: true, request: erase });
    expect(validatePrivacyRequest({ type: 'export', identities: [{ type: 'email', value: 'ana@example.com' }] }).ok).toBe(true);
  });

  it('names every offending field, without repeating the values', () => {
    const result = validatePrivacyRequest({ type: 'forget', identities: [{ type: 'E-mail', value: 'ana@example.com' }, { type: 'email', value: '' }], reference: '' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain('type: ');
    expect(result.reason).toContain('identities.0.type: must be lower snake case');
    expect(result.reason).toContain('identities.1.value: must not be empty');
    expect(result.reason).toContain('reference: must not be empty');
    expect(result.reason).not.toContain('ana@example.com');
  });

  it('refuses a request without identities, and anything that is not a request', () => {
    expect(validatePrivacyRequest({ type: 'erase', identities: [] })).toEqual({ ok: false, reason: 'identities: a privacy request needs at least one identity' });
    expect(validatePrivacyRequest('erase everyone')).toMatchObject({ ok: false, reason: expect.stringContaining('(request): ') });
  });
});
