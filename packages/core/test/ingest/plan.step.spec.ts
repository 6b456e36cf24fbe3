import type { ProfileFactInput } from '@portrait/connector-sdk';
import { DEFAULT_IDENTITY_SETTINGS } from '../../src/modules/identity/identity-settings.js';
import { IdentityNormalizer } from '../../src/modules/identity/identity-normalizer.js';
import { planBatch } from '../../src/modules/ingest/steps/plan.step.js';
import { prepareFacts } from '../../src/modules/ingest/steps/prepare.step.js';
import type { KnownProfiles } from '../../src/modules/ingest/steps/resolve.step.js';

const at = '2026-01-05T00:00:00.000Z';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const nothingKnown: KnownProfiles = { identityOwners: [], recordOwners: [], profiles: [] };

function entriesOf(facts: ProfileFactInput[]) {
  return prepareFacts(facts, new IdentityNormalizer(DEFAULT_IDENTITY_SETTINGS)).entries;
}

const fact = (source: string, externalId: string, identities: [string, string][], extra: Partial<ProfileFactInput> = {}): ProfileFactInput => ({
  source,
  externalId,
  identities: identities.map(([type, value]) => ({ type, value })),
  observedAt: at,
  ...extra,
});

/** Two stored people: P1 (older) with a@x.io, P2 with b@x.io and the record crm/2. */
const stored: KnownProfiles = {
  identityOwners: [
    { type: 'email', value: 'a@x.io', profile_id: 'P1' },
    { type: 'email', value: 'b@x.io', profile_id: 'P2' },
  ],
  recordOwners: [{ source: 'crm', external_id: '2', kind: 'person', profile_id: 'P2' }],
  profiles: [
    { id: 'P1', kind: 'person', created: '1', identities: [{ type: 'email', value: 'a@x.io' }, { type: 'user_id', value: 'u1' }] },
    { id: 'P2', kind: 'person', created: '2', identities: [{ type: 'email', value: 'b@x.io' }] },
  ],
};

describe('plan step', () => {
  it('creates one profile for the entries of a batch that share an identifier, and places all their rows on it', () => {
    const entries = entriesOf([fact('shop', '1', [['email', 'new@x.io']]), fact('mail', 'm1', [['email', 'NEW@x.io'], ['phone', '+14155552671']])]);
    const plan = planBatch(DEFAULT_IDENTITY_SETTINGS, nothingKnown, entries);
    expect(plan.created).toEqual([{ id: expect.stringMatching(UUID), kind: 'person' }]);
    const id = plan.created[0]!.id;
    expect(entries.map((e) => plan.place(e))).toEqual([
      { profileId: id, originId: id },
      { profileId: id, originId: id },
    ]);
    expect(plan.attached).toEqual([
      { type: 'email', value: 'new@x.io', profile_id: id, origin: id, source: 'shop' },
      { type: 'phone', value: '+14155552671', profile_id: id, origin: id, source: 'mail' },
    ]);
    expect(plan.merges).toEqual([]);
    expect(plan.conflicts).toEqual([]);
  });

  it('merges the stored profiles an entry links into the oldest, naming the identifiers and the record that linked them', () => {
    const entries = entriesOf([fact('stripe', 's1', [['email', 'a@x.io'], ['email', 'b@x.io']])]);
    const plan = planBatch(DEFAULT_IDENTITY_SETTINGS, stored, entries);
    expect(plan.created).toEqual([]);
    expect(plan.merges).toEqual([{ winner: 'P1', loser: 'P2', survivor: 'P1', linkedBy: [{ type: 'email', value: 'b@x.io' }], source: 'stripe', externalId: 's1' }]);
    expect(plan.place(entries[0]!)).toEqual({ profileId: 'P1', originId: 'P1' });
    expect(plan.attached).toEqual([]);
  });

  it("moves a merged profile's rows to the final survivor of a chain of merges", () => {
    const known: KnownProfiles = {
      identityOwners: [...stored.identityOwners, { type: 'email', value: 'c@x.io', profile_id: 'P3' }],
      recordOwners: stored.recordOwners,
      profiles: [...stored.profiles, { id: 'P3', kind: 'person', created: '3', identities: [{ type: 'email', value: 'c@x.io' }] }],
    };
    // P3 folds into P2, then P2 into P1.
    const entries = entriesOf([fact('s', '1', [['email', 'b@x.io'], ['email', 'c@x.io']]), fact('s', '2', [['email', 'a@x.io'], ['email', 'b@x.io']])]);
    const plan = planBatch(DEFAULT_IDENTITY_SETTINGS, known, entries);
    expect(plan.merges.map((m) => [m.winner, m.loser, m.survivor])).toEqual([
      ['P2', 'P3', 'P1'],
      ['P1', 'P2', 'P1'],
    ]);
    expect(entries.map((e) => plan.place(e))).toEqual([
      { profileId: 'P1', originId: 'P2' },
      { profileId: 'P1', originId: 'P1' },
    ]);
  });

  it('writes nothing for a profile created and merged into a stored one in the same batch: its rows go to the stored one', () => {
    const entries = entriesOf([fact('web', 'v1', [['anonymous_id', 'anon-1']]), fact('shop', '9', [['anonymous_id', 'anon-1'], ['email', 'a@x.io']])]);
    const plan = planBatch(DEFAULT_IDENTITY_SETTINGS, stored, entries);
    expect(plan.created).toEqual([]);
    expect(plan.merges).toEqual([]);
    expect(entries.map((e) => plan.place(e))).toEqual([
      { profileId: 'P1', originId: 'P1' },
      { profileId: 'P1', originId: 'P1' },
    ]);
    expect(plan.attached).toEqual([{ type: 'anonymous_id', value: 'anon-1', profile_id: 'P1', origin: 'P1', source: 'web' }]);
  });

  it("keeps a record with its stored profile and records, as a conflict, an identifier over its type's limit", () => {
    const entries = entriesOf([fact('crm', '2', [['user_id', 'u2']]), fact('crm', '3', [['email', 'b@x.io'], ['phone', '+14155552671']])]);
    const withUserId = { ...stored.profiles[1]!, identities: [{ type: 'email', value: 'b@x.io' }, { type: 'user_id', value: 'u9' }] };
    const plan = planBatch(DEFAULT_IDENTITY_SETTINGS, { ...stored, profiles: [stored.profiles[0]!, withUserId] }, entries);
    expect(entries.map((e) => plan.place(e))).toEqual([
      { profileId: 'P2', originId: 'P2' },
      { profileId: 'P2', originId: 'P2' },
    ]);
    expect(plan.attached).toEqual([{ type: 'phone', value: '+14155552671', profile_id: 'P2', origin: 'P2', source: 'crm' }]);
    expect(plan.conflicts).toEqual([{ kept: 'P2', type: 'user_id', value: 'u2', source: 'crm', external_id: '2', reason: 'not attached: user_id would exceed its limit of 1' }]);
  });

  it("places a person's account on a profile of its own and never merges people with accounts", () => {
    const entries = entriesOf([fact('crm', 'p1', [['email', 'a@x.io']], { account: { identities: [{ type: 'domain', value: 'x.io' }, { type: 'email', value: 'a@x.io' }] } })]);
    const plan = planBatch(DEFAULT_IDENTITY_SETTINGS, stored, entries);
    const [account, person] = entries;
    expect(plan.place(person!)).toEqual({ profileId: 'P1', originId: 'P1' });
    expect(plan.created).toEqual([{ id: plan.place(account!).profileId, kind: 'account' }]);
    expect(plan.conflicts).toEqual([{ kept: 'P1', type: 'email', value: 'a@x.io', source: 'crm', external_id: 'domain:x.io', reason: 'email belongs to a profile of another kind' }]);
  });
});
