import { DEFAULT_IDENTITY_SETTINGS } from '../../src/modules/identity/identity-settings.js';
import { IdentityNormalizer } from '../../src/modules/identity/identity-normalizer.js';
import { recordKey } from '../../src/modules/ingest/ingest-entry.js';
import { prepareFacts } from '../../src/modules/ingest/steps/prepare.step.js';

const at = '2026-01-05T00:00:00.000Z';
const normalizer = new IdentityNormalizer(DEFAULT_IDENTITY_SETTINGS);

describe('prepare step', () => {
  it('keeps valid facts with normalized identities and refuses the others with their position and reason', () => {
    const { entries, rejections, warnings } = prepareFacts(
      [
        { source: 'shop', externalId: 'c1', identities: [{ type: 'email', value: ' Ana@Example.COM ' }, { type: 'email', value: 'test@test.com' }], traits: { first_name: 'Ana' }, observedAt: at },
        { source: 'shop', externalId: 'c2', identities: [{ type: 'email', value: 'Test@Example.com' }, { type: 'phone', value: '12' }], observedAt: at },
        'not a fact',
        { source: 'shop', externalId: 'c4', identities: [{ type: 'phone', value: '(415) 555-2671' }], observedAt: at },
      ],
      normalizer,
    );
    expect(entries.map((e) => [e.index, e.recordKey, e.identities])).toEqual([
      [0, recordKey('shop', 'c1', 'person'), [{ type: 'email', value: 'ana@example.com' }]],
      [3, recordKey('shop', 'c4', 'person'), [{ type: 'phone', value: '+14155552671' }]],
    ]);
    expect(entries[0]).toMatchObject({ kind: 'person', source: 'shop', externalId: 'c1', observedAt: at, traits: { first_name: 'Ana' }, events: [], consent: [] });
    expect(rejections).toEqual([
      { index: 1, source: 'shop', externalId: 'c2', reason: 'no usable identity: email "test@example.com" is a blocked value; phone "12" is not a valid phone number (region US)' },
      { index: 2, source: undefined, externalId: undefined, reason: expect.stringContaining('(fact)') },
    ]);
    // A kept fact that lost an identifier says which and why.
    expect(warnings).toEqual(['shop/c1: email "test@test.com" is a blocked value']);
  });

  it("normalizes a phone with the fact's country before the default region", () => {
    const { entries } = prepareFacts([{ source: 'shop', externalId: 'br', identities: [{ type: 'phone', value: '(11) 98765-4321' }], traits: { country: 'BR' }, observedAt: at }], normalizer);
    expect(entries[0]!.identities).toEqual([{ type: 'phone', value: '+5511987654321' }]);
  });

  it('keeps a number written with its country code when it has a possible length, even outside the ranges known to be allocated; a national one must be valid', () => {
    const phone = (value: string, country?: string) =>
      prepareFacts([{ source: 'shop', externalId: 'x', identities: [{ type: 'phone', value }, { type: 'user_id', value: 'u' }], traits: country ? { country } : {}, observedAt: at }], normalizer);
    // +33 7 08… is not in libphonenumber's table of French mobile ranges, but is a French number of the right length.
    expect(phone('+33 7 08 72 79 56').entries[0]!.identities).toContainEqual({ type: 'phone', value: '+33708727956' });
    expect(phone('+33 7 08 72').warnings).toEqual(['shop/x: phone "+33 7 08 72" is not a valid phone number (region US)']);
    expect(phone('07 08 72 79 56', 'FR').warnings).toEqual(['shop/x: phone "07 08 72 79 56" is not a valid phone number (region FR)']);
  });

  it("makes a person's account an entry of its own, just before the person, keyed by its first identity when it has no external id", () => {
    const { entries, warnings } = prepareFacts(
      [
        {
          source: 'crm',
          externalId: 'p1',
          identities: [{ type: 'email', value: 'bo@acme.io' }],
          account: { identities: [{ type: 'domain', value: 'ACME.io' }, { type: 'company_id', value: 'C-9' }], traits: { name: 'Acme' } },
          observedAt: at,
        },
        { source: 'crm', externalId: 'p2', identities: [{ type: 'email', value: 'cy@acme.io' }], account: { externalId: 'acme', identities: [{ type: 'domain', value: 'acme.io' }] }, observedAt: at },
        { source: 'crm', externalId: 'p3', identities: [{ type: 'email', value: 'di@acme.io' }], account: { identities: [{ type: 'company_id', value: ' NULL ' }] }, observedAt: at },
      ],
      normalizer,
    );
    expect(entries.map((e) => [e.index, e.kind, e.externalId])).toEqual([
      [0, 'account', 'company_id:C-9'],
      [0, 'person', 'p1'],
      [1, 'account', 'acme'],
      [1, 'person', 'p2'],
      [2, 'person', 'p3'],
    ]);
    expect(entries[1]!.account).toBe(entries[0]);
    expect(entries[0]).toMatchObject({ recordKey: recordKey('crm', 'company_id:C-9', 'account'), traits: { name: 'Acme' }, identities: [{ type: 'domain', value: 'acme.io' }, { type: 'company_id', value: 'C-9' }] });
    expect(entries[4]!.account).toBeUndefined();
    expect(warnings).toEqual(['crm/p3: account not linked, no usable identity: company_id "NULL" is a blocked value']);
  });
});
