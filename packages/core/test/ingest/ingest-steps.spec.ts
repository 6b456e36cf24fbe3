import type { ProfileFactInput } from '@portrait/connector-sdk';
import type { QueryRunner } from 'typeorm';
import { inTransaction } from '../../src/engine/database/sql.js';
import { timeOrderedUuid } from '../../src/engine/database/time-ordered-uuid.js';
import { DEFAULT_IDENTITY_SETTINGS } from '../../src/modules/identity/identity-settings.js';
import { IdentityNormalizer } from '../../src/modules/identity/identity-normalizer.js';
import type { IngestEntry, PlaceEntry } from '../../src/modules/ingest/ingest-entry.js';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { prepareFacts } from '../../src/modules/ingest/steps/prepare.step.js';
import { resolveKnownProfiles } from '../../src/modules/ingest/steps/resolve.step.js';
import { writeAccountLinks } from '../../src/modules/ingest/writers/account-links.writer.js';
import { writeConsents } from '../../src/modules/ingest/writers/consents.writer.js';
import { defaultDedupeKey, writeEvents } from '../../src/modules/ingest/writers/events.writer.js';
import { writeIdentities } from '../../src/modules/ingest/writers/identities.writer.js';
import { writeIdentityConflicts } from '../../src/modules/ingest/writers/identity-conflicts.writer.js';
import { writeMerges } from '../../src/modules/ingest/writers/merges.writer.js';
import { writeProfiles } from '../../src/modules/ingest/writers/profiles.writer.js';
import { writeSourceRecords } from '../../src/modules/ingest/writers/source-records.writer.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();

function entriesOf(facts: ProfileFactInput[]): IngestEntry[] {
  return prepareFacts(facts, new IdentityNormalizer(DEFAULT_IDENTITY_SETTINGS)).entries;
}

const fact = (externalId: string, extra: Partial<ProfileFactInput> = {}, source = 'shop'): ProfileFactInput => ({
  source,
  externalId,
  identities: [{ type: 'email', value: `${externalId}@x.io` }],
  observedAt: day(1),
  ...extra,
});

/** Every entry's rows on one profile. */
const on =
  (profileId: string, originId = profileId): PlaceEntry =>
  () => ({ profileId, originId });

describe('ingest steps and writers, each alone against the database', () => {
  let core: TestCore;

  beforeAll(async () => {
    core = await createTestCore();
  });
  afterAll(() => core?.close());

  const write = <T>(work: (runner: QueryRunner) => Promise<T>) => inTransaction(core.db.dataSource, work);
  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => core.db.dataSource.query(sql, params);

  /** A workspace with `count` stored person profiles (ids in order of creation). */
  async function people(count: number): Promise<{ ws: string; ids: string[] }> {
    const ws = await core.workspace();
    const ids = Array.from({ length: count }, () => timeOrderedUuid());
    await write((runner) => writeProfiles(runner, ws, ids.map((id) => ({ id, kind: 'person' as const }))));
    return { ws, ids };
  }

  describe('resolve', () => {
    it('finds the stored profiles of the identities and records a batch mentions, each with all its identities and its rank in order of creation', async () => {
      const ws = await core.workspace();
      const ingest = core.app.get(IngestService);
      await ingest.ingest(ws, [{ source: 'shop', externalId: 'c1', identities: [{ type: 'email', value: 'old@x.io' }, { type: 'phone', value: '+14155552671' }], observedAt: day(1) }]);
      await ingest.ingest(ws, [{ source: 'crm', externalId: 'k2', identities: [{ type: 'email', value: 'new@x.io' }], observedAt: day(1) }]);
      const [older] = await query<{ id: string }>(`SELECT profile_id AS id FROM identities WHERE workspace_id = $1 AND value = 'old@x.io'`, [ws]);
      const [newer] = await query<{ id: string }>(`SELECT profile_id AS id FROM identities WHERE workspace_id = $1 AND value = 'new@x.io'`, [ws]);

      const entries = entriesOf([
        { source: 'web', externalId: 'v1', identities: [{ type: 'email', value: 'OLD@x.io' }, { type: 'email', value: 'unknown@x.io' }], observedAt: day(2) },
        { source: 'crm', externalId: 'k2', identities: [{ type: 'anonymous_id', value: 'a-1' }], observedAt: day(2) },
      ]);
      const known = await write((runner) => resolveKnownProfiles(runner, ws, entries));
      expect(known.identityOwners).toEqual([{ type: 'email', value: 'old@x.io', profile_id: older!.id }]);
      expect(known.recordOwners).toEqual([{ source: 'crm', external_id: 'k2', kind: 'person', profile_id: newer!.id }]);
      const profiles = [...known.profiles].sort((a, b) => Number(a.created) - Number(b.created));
      expect(profiles.map((p) => [p.id, p.kind, Number(p.created)])).toEqual([
        [older!.id, 'person', 1],
        [newer!.id, 'person', 2],
      ]);
      expect([...profiles[0]!.identities].sort((a, b) => a.type.localeCompare(b.type))).toEqual([
        { type: 'email', value: 'old@x.io' },
        { type: 'phone', value: '+14155552671' },
      ]);

      // Another workspace's identities and records are not this one's.
      const other = await core.workspace();
      expect(await write((runner) => resolveKnownProfiles(runner, other, entries))).toEqual({ identityOwners: [], recordOwners: [], profiles: [] });
    });
  });

  describe('profiles and identities', () => {
    it('inserts new profiles, and attaches identities, leaving one already stored where it is', async () => {
      const { ws, ids } = await people(2);
      expect(await query(`SELECT id, kind FROM profiles WHERE workspace_id = $1 ORDER BY created_seq`, [ws])).toEqual(ids.map((id) => ({ id, kind: 'person' })));
      const first = await write((runner) => writeIdentities(runner, ws, [{ type: 'email', value: 'a@x.io', profile_id: ids[0]!, origin: ids[0]!, source: 'shop' }]));
      expect(first).toEqual([ids[0]]);
      const second = await write((runner) =>
        writeIdentities(runner, ws, [
          { type: 'email', value: 'a@x.io', profile_id: ids[1]!, origin: ids[1]!, source: 'crm' },
          { type: 'phone', value: '+14155552671', profile_id: ids[1]!, origin: ids[0]!, source: 'crm' },
        ]),
      );
      expect(second).toEqual([ids[1]]);
      expect(await query(`SELECT type, profile_id, origin_profile_id AS origin, source FROM identities WHERE workspace_id = $1 ORDER BY type`, [ws])).toEqual([
        { type: 'email', profile_id: ids[0], origin: ids[0], source: 'shop' },
        { type: 'phone', profile_id: ids[1], origin: ids[0], source: 'crm' },
      ]);
      expect(await write((runner) => writeIdentities(runner, ws, []))).toEqual([]);
    });
  });

  describe('merges', () => {
    it('points each loser at its winner, moves every row of it to the final survivor and logs each merge', async () => {
      const { ws, ids } = await people(4);
      const [a, b, c, account] = ids as [string, string, string, string];
      // c holds a row of every kind: identity, record, event, consent, and a link to an account.
      const [entry] = entriesOf([
        fact('c', { events: [{ type: 'order_placed', occurredAt: day(1), properties: {} }], consent: [{ purpose: 'email', granted: true, at: day(1) }], account: { externalId: 'acc', identities: [{ type: 'domain', value: 'acme.io' }] } }),
      ]).filter((e) => e.kind === 'person');
      const placeOf = new Map<IngestEntry, { profileId: string; originId: string }>([
        [entry!, { profileId: c, originId: c }],
        [entry!.account!, { profileId: account, originId: account }],
      ]);
      await write(async (runner) => {
        await writeIdentities(runner, ws, [{ type: 'email', value: 'c@x.io', profile_id: c, origin: c, source: 'shop' }]);
        await writeSourceRecords(runner, ws, [entry!], on(c));
        await writeEvents(runner, ws, [entry!], on(c));
        await writeConsents(runner, ws, [entry!], on(c));
        await writeAccountLinks(runner, ws, [entry!], (e) => placeOf.get(e)!);
      });

      // In one batch: c folds into b, and b into a (the survivor of both).
      await write((runner) =>
        writeMerges(runner, ws, [
          { winner: b, loser: c, survivor: a, linkedBy: [{ type: 'email', value: 'c@x.io' }], source: 'crm', externalId: 'k1' },
          { winner: a, loser: b, survivor: a, linkedBy: [], source: 'crm', externalId: 'k2' },
        ]),
      );
      expect(await query(`SELECT id, merged_into FROM profiles WHERE workspace_id = $1 AND id = ANY($2::uuid[]) ORDER BY created_seq`, [ws, [a, b, c]])).toEqual([
        { id: a, merged_into: null },
        { id: b, merged_into: a },
        { id: c, merged_into: b },
      ]);
      const [rowsOfC] = await query(
        `SELECT (SELECT count(*)::int FROM identities WHERE profile_id = $1) AS identities, (SELECT count(*)::int FROM source_records WHERE profile_id = $1) AS records,
                (SELECT count(*)::int FROM events WHERE profile_id = $1) AS events, (SELECT count(*)::int FROM consents WHERE profile_id = $1) AS consents,
                (SELECT count(*)::int FROM account_links WHERE person_id = $1 AND account_id = $2) AS links`,
        [a, account],
      );
      expect(rowsOfC).toEqual({ identities: 1, records: 1, events: 1, consents: 1, links: 1 });
      // Their origin stays c: what an unmerge moves back.
      expect(await query(`SELECT origin_profile_id AS origin FROM identities WHERE workspace_id = $1`, [ws])).toEqual([{ origin: c }]);
      expect(await query(`SELECT winner_id AS winner, loser_id AS loser, reason FROM merges WHERE workspace_id = $1 ORDER BY loser_id = $2 DESC`, [ws, c])).toEqual([
        { winner: b, loser: c, reason: { linkedBy: [{ type: 'email', value: 'c@x.io' }], source: 'crm', externalId: 'k1' } },
        { winner: a, loser: b, reason: { linkedBy: [], source: 'crm', externalId: 'k2' } },
      ]);
    });
  });

  describe('source records', () => {
    it('merges the observations of a record per trait by time, in the batch and with the stored record, and counts no change as none', async () => {
      const { ws, ids } = await people(1);
      const p = ids[0]!;
      const record = () => query<{ traits: Record<string, { v: unknown; at: string }>; observed_at: Date }>(`SELECT traits, observed_at FROM source_records WHERE workspace_id = $1`, [ws]);
      // Two observations of one record in one batch, the later one first: one row, the latest value of each trait.
      const batch = entriesOf([fact('r', { traits: { city: 'Porto' }, observedAt: day(3) }), fact('r', { traits: { city: 'Lisbon', first_name: 'Ana' }, observedAt: day(2) })]);
      expect(await write((runner) => writeSourceRecords(runner, ws, batch, on(p)))).toEqual([p]);
      let [row] = await record();
      expect(row!.traits).toEqual({ city: { v: 'Porto', at: day(3) }, first_name: { v: 'Ana', at: day(2) } });
      expect(row!.observed_at.toISOString()).toBe(day(3));

      // An older observation of a trait changes nothing: no write, no change.
      expect(await write((runner) => writeSourceRecords(runner, ws, entriesOf([fact('r', { traits: { city: 'Faro' }, observedAt: day(1) })]), on(p)))).toEqual([]);
      // A newer one does.
      expect(await write((runner) => writeSourceRecords(runner, ws, entriesOf([fact('r', { traits: { city: 'Faro' }, observedAt: day(4) })]), on(p)))).toEqual([p]);
      [row] = await record();
      expect(row!.traits.city).toEqual({ v: 'Faro', at: day(4) });
    });
  });

  describe('events', () => {
    it('inserts events once per source and dedupe key, keying an event without one by its record, type, time and properties', async () => {
      const { ws, ids } = await people(1);
      const p = ids[0]!;
      const view = { type: 'page_viewed', occurredAt: day(2), properties: { path: '/a', ref: { b: 1, a: 2 } } };
      const order = { type: 'order_placed', occurredAt: day(2), properties: { total: 5 }, dedupeKey: 'o-1' };
      const first = await write((runner) => writeEvents(runner, ws, entriesOf([fact('v', { events: [view, order] }), fact('w')]), on(p)));
      expect(first).toEqual({ profileIds: [p], inserted: 2, deduplicated: 0 });
      const [stored] = await query<{ dedupe_key: string }>(`SELECT dedupe_key FROM events WHERE workspace_id = $1 AND type = 'page_viewed'`, [ws]);
      expect(stored!.dedupe_key).toBe(defaultDedupeKey({ externalId: 'v' }, view));

      // The same view with its properties in another order, and the same order again: both deduplicated.
      const again = { ...view, properties: { ref: { a: 2, b: 1 }, path: '/a' } };
      const second = await write((runner) => writeEvents(runner, ws, entriesOf([fact('v', { events: [again, order, { ...order, dedupeKey: 'o-2' }] })]), on(p)));
      expect(second).toEqual({ profileIds: [p], inserted: 1, deduplicated: 2 });
      // Another source's event of the same key is its own.
      expect(await write((runner) => writeEvents(runner, ws, entriesOf([fact('v', { events: [order] }, 'crm')]), on(p)))).toEqual({ profileIds: [p], inserted: 1, deduplicated: 0 });
      expect(await write((runner) => writeEvents(runner, ws, entriesOf([fact('x')]), on(p)))).toEqual({ profileIds: [], inserted: 0, deduplicated: 0 });
    });
  });

  describe('consent', () => {
    it('keeps the latest statement per profile, purpose and source, in the batch and against the stored one', async () => {
      const { ws, ids } = await people(1);
      const p = ids[0]!;
      const consents = () => query(`SELECT purpose, source, granted, at FROM consents WHERE workspace_id = $1 ORDER BY purpose, source`, [ws]);
      const batch = entriesOf([
        fact('m', { consent: [{ purpose: 'email', granted: false, at: day(3) }, { purpose: 'sms', granted: true, at: day(1) }] }),
        fact('m', { consent: [{ purpose: 'email', granted: true, at: day(2) }] }),
        fact('m', { consent: [{ purpose: 'email', granted: true, at: day(1) }] }, 'crm'),
      ]);
      expect(await write((runner) => writeConsents(runner, ws, batch, on(p)))).toEqual([p]);
      expect(await consents()).toEqual([
        { purpose: 'email', source: 'crm', granted: true, at: new Date(day(1)) },
        { purpose: 'email', source: 'shop', granted: false, at: new Date(day(3)) },
        { purpose: 'sms', source: 'shop', granted: true, at: new Date(day(1)) },
      ]);
      // An older statement, or the same one again, changes nothing.
      const stale = entriesOf([fact('m', { consent: [{ purpose: 'email', granted: true, at: day(2) }, { purpose: 'sms', granted: true, at: day(1) }] })]);
      expect(await write((runner) => writeConsents(runner, ws, stale, on(p)))).toEqual([]);
      const newer = entriesOf([fact('m', { consent: [{ purpose: 'sms', granted: false, at: day(5) }] })]);
      expect(await write((runner) => writeConsents(runner, ws, newer, on(p)))).toEqual([p]);
      expect((await consents())[2]).toEqual({ purpose: 'sms', source: 'shop', granted: false, at: new Date(day(5)) });
    });
  });

  describe('account links', () => {
    it('links a person to an account once per source, answering both as changed only when the link is new', async () => {
      const { ws, ids } = await people(3);
      const [person, account, other] = ids as [string, string, string];
      const withAccount = (source: string) => fact('p', { account: { externalId: 'acme', identities: [{ type: 'domain', value: 'acme.io' }] } }, source);
      const place: PlaceEntry = (e) => (e.kind === 'account' ? { profileId: account, originId: account } : { profileId: person, originId: person });
      const batch = entriesOf([withAccount('shop'), withAccount('shop'), withAccount('crm')]);
      expect(await write((runner) => writeAccountLinks(runner, ws, batch, place))).toEqual([person, account, person, account]);
      expect(await write((runner) => writeAccountLinks(runner, ws, batch, place))).toEqual([]);
      expect(await query(`SELECT person_id AS person, account_id AS account, source FROM account_links WHERE workspace_id = $1 ORDER BY source`, [ws])).toEqual([
        { person, account, source: 'crm' },
        { person, account, source: 'shop' },
      ]);
      expect(await write((runner) => writeAccountLinks(runner, ws, entriesOf([fact('q')]), on(other)))).toEqual([]);
    });
  });

  describe('identity conflicts', () => {
    it('records each conflict with the profile kept, the identifier, its record and the reason', async () => {
      const { ws, ids } = await people(1);
      const conflict = { kept: ids[0]!, type: 'user_id', value: 'u2', source: 'crm', external_id: 'k1', reason: 'not attached: user_id would exceed its limit of 1' };
      await write((runner) => writeIdentityConflicts(runner, ws, [conflict]));
      await write((runner) => writeIdentityConflicts(runner, ws, []));
      expect(await query(`SELECT kept_profile_id AS kept, identity_type AS type, identity_value AS value, source, external_id, reason FROM identity_conflicts WHERE workspace_id = $1`, [ws])).toEqual([conflict]);
    });
  });
});
