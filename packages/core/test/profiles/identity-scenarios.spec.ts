import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { PrivacyService } from '../../src/modules/privacy/privacy.service.js';
import { MergesService } from '../../src/modules/profiles/merges.service.js';
import { ProfilesService } from '../../src/modules/profiles/profiles.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

const at = (day: number) => new Date(Date.UTC(2026, 0, day)).toISOString();

function fact(source: string, externalId: string, identities: [string, string][], extra: Partial<ProfileFactInput> = {}): ProfileFactInput {
  return { source, externalId, identities: identities.map(([type, value]) => ({ type, value })), observedAt: at(1), ...extra };
}

describe('identity resolution scenarios', () => {
  let core: TestCore;
  let ingest: IngestService;
  let profiles: ProfilesService;
  let merges: MergesService;

  beforeAll(async () => {
    core = await createTestCore();
    ingest = core.app.get(IngestService);
    profiles = core.app.get(ProfilesService);
    merges = core.app.get(MergesService);
  });
  afterAll(() => core?.close());

  const liveProfiles = async (ws: string) =>
    Number((await core.db.dataSource.query(`SELECT count(*) FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`, [ws]))[0].count);

  it('creates one profile for a new person, with normalized identities and traits', async () => {
    const ws = await core.workspace();
    const result = await ingest.ingest(ws, [
      fact('shopify', 'c1', [['shopify_customer_id', '1001'], ['email', '  Ana.Souza@Example.COM '], ['phone', '(11) 98765-4321']], {
        traits: { first_name: 'Ana', country: 'BR' },
      }),
    ]);
    expect(result).toMatchObject({ received: 1, created: 1, updated: 0, merged: 0, rejected: 0 });
    const profile = await profiles.findByIdentity(ws, 'email', 'ana.souza@example.com');
    expect(profile?.traits).toEqual({ first_name: 'Ana', country: 'BR' });
    expect(profile?.identities.map((i) => [i.type, i.value])).toEqual([
      ['email', 'ana.souza@example.com'],
      ['phone', '+5511987654321'],
      ['shopify_customer_id', '1001'],
    ]);
  });

  it('joins the same email written in another case and spacing from another source', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [fact('shopify', 'c1', [['email', 'bob@shop.io']])]);
    const second = await ingest.ingest(ws, [fact('mailchimp', 'm1', [['email', ' BOB@Shop.io']], { traits: { 'mailchimp.rating': 4 } })]);
    expect(second).toMatchObject({ created: 0, updated: 1, merged: 0 });
    expect(await liveProfiles(ws)).toBe(1);
    expect((await profiles.findByIdentity(ws, 'email', 'bob@shop.io'))?.traits).toEqual({ 'mailchimp.rating': 4 });
  });

  it('joins three records from three sources through email and phone, merging and logging it', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [fact('shopify', 's1', [['email', 'carla@mail.com']], { traits: { first_name: 'Carla' } })]);
    await ingest.ingest(ws, [fact('mailchimp', 'm1', [['phone', '+1 415 555 2671']], { traits: { city: 'SF' } })]);
    expect(await liveProfiles(ws)).toBe(2);
    const third = await ingest.ingest(ws, [fact('stripe', 'cus_1', [['email', 'CARLA@mail.com'], ['phone', '415-555-2671']])]);
    expect(third).toMatchObject({ created: 0, merged: 1 });
    expect(await liveProfiles(ws)).toBe(1);
    const profile = (await profiles.findByIdentity(ws, 'phone', '+14155552671'))!;
    expect(profile.traits).toEqual({ first_name: 'Carla', city: 'SF' });
    const log = await merges.list(ws);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ winnerId: profile.id, reason: { source: 'stripe', externalId: 'cus_1', linkedBy: [{ type: 'phone', value: '+14155552671' }] } });
    // The merged-away id still answers, with the survivor.
    expect(await profiles.get(ws, log[0]!.loserId)).toMatchObject({ id: profile.id, mergedFrom: log[0]!.loserId });
  });

  it('never merges two different shopify customers that share an email, and records the conflict', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [fact('shopify', '1', [['shopify_customer_id', '1'], ['email', 'family@home.com']], { traits: { first_name: 'Dad' } })]);
    const second = await ingest.ingest(ws, [
      fact('shopify', '2', [['shopify_customer_id', '2'], ['email', 'family@home.com']], { traits: { first_name: 'Mom' } }),
    ]);
    expect(second).toMatchObject({ created: 1, merged: 0, conflicts: 1 });
    expect(await liveProfiles(ws)).toBe(2);
    expect((await profiles.findByIdentity(ws, 'shopify_customer_id', '2'))?.identities.map((i) => i.type)).toEqual(['shopify_customer_id']);
    expect((await profiles.findByIdentity(ws, 'email', 'family@home.com'))?.traits).toEqual({ first_name: 'Dad' });
    const [conflict] = await core.db.dataSource.query(`SELECT identity_type, identity_value, reason FROM identity_conflicts WHERE workspace_id = $1`, [ws]);
    expect(conflict).toMatchObject({ identity_type: 'email', identity_value: 'family@home.com' });
  });

  it('keeps a household e-mail with the first person seen with it: a record of another first name joins its own profile by phone', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [
      fact('shopify', '1', [['shopify_customer_id', '1'], ['email', 'the.lima.family@mail.com'], ['phone', '+5511987650001']], { traits: { first_name: 'Paulo' } }),
      fact('shopify', '2', [['shopify_customer_id', '2'], ['email', 'ana.lima@mail.com'], ['phone', '+5511987650002']], { traits: { first_name: 'Ana' } }),
    ]);
    // Ana subscribed to the newsletter with the family's e-mail and her own phone.
    const newsletter = await ingest.ingest(ws, [
      fact('mailchimp', 'm-ana', [['mailchimp_member_id', 'h1'], ['email', 'The.Lima.Family@mail.com'], ['phone', '+55 11 98765-0002']], { traits: { first_name: 'Ana' } }),
    ]);
    expect(newsletter).toMatchObject({ created: 0, merged: 0, conflicts: 1 });
    const ana = (await profiles.findByIdentity(ws, 'shopify_customer_id', '2'))!;
    expect(ana.identities.map((i) => [i.type, i.value])).toEqual([
      ['email', 'ana.lima@mail.com'],
      ['mailchimp_member_id', 'h1'],
      ['phone', '+5511987650002'],
      ['shopify_customer_id', '2'],
    ]);
    expect((await profiles.findByIdentity(ws, 'email', 'the.lima.family@mail.com'))?.traits).toMatchObject({ first_name: 'Paulo' });
    const conflicts = await core.db.dataSource.query(`SELECT identity_type, identity_value, reason FROM identity_conflicts WHERE workspace_id = $1`, [ws]);
    expect(conflicts).toEqual([
      { identity_type: 'email', identity_value: 'the.lima.family@mail.com', reason: 'not merged: email is shared by people of different first names' },
    ]);

    // Her activity, which names no one, follows her member id and does not join Paulo through the family e-mail either.
    const activity = await ingest.ingest(ws, [fact('mailchimp', 'm-ana', [['mailchimp_member_id', 'h1'], ['email', 'the.lima.family@mail.com']])]);
    expect(activity).toMatchObject({ created: 0, merged: 0 });
    expect(await liveProfiles(ws)).toBe(2);

    // The same person written with a typo, a short form or an initial still joins by e-mail.
    for (const [n, name] of ['Pualo', 'P.', 'paulo'].entries()) {
      await ingest.ingest(ws, [fact('crm', `c${n}`, [['email', 'the.lima.family@mail.com']], { traits: { first_name: name } })]);
    }
    expect(await liveProfiles(ws)).toBe(2);
  });

  it('turns the name check off when the workspace guards no identifier type', async () => {
    const ws = await core.workspace();
    await core.db.dataSource.query(`UPDATE workspaces SET settings = jsonb_build_object('identity', jsonb_build_object('nameGuard', '[]'::jsonb)) WHERE id = $1`, [ws]);
    await ingest.ingest(ws, [fact('shop', '1', [['email', 'family@home.com']], { traits: { first_name: 'Dad' } })]);
    const mom = await ingest.ingest(ws, [fact('newsletter', '1', [['email', 'family@home.com']], { traits: { first_name: 'Mom' } })]);
    expect(mom).toMatchObject({ created: 0, conflicts: 0 });
  });

  it('matches on name and postal code when the workspace turns it on; erasing a person never suppresses the key her namesakes share', async () => {
    const ws = await core.workspace();
    await core.db.dataSource.query(`UPDATE workspaces SET settings = '{"identity": {"matchKeys": ["name_postal_code"]}}'::jsonb WHERE id = $1`, [ws]);
    const home = { last_name: 'Moura', postal_code: '4700-123' };
    await ingest.ingest(ws, [fact('shop', 'c1', [['email', 'ines@mail.pt']], { traits: { first_name: 'Inês', ...home } })]);
    expect(await ingest.ingest(ws, [fact('news', 'm1', [['email', 'imoura@work.pt']], { traits: { first_name: 'Ines', ...home } })])).toMatchObject({ created: 0 });
    const ines = (await profiles.findByIdentity(ws, 'email', 'ines@mail.pt'))!;
    expect(ines.identities.map((i) => [i.type, i.value])).toContainEqual(['name_postal_code', 'M600:i:4700-123']);

    await core.app.get(PrivacyService).erase(ws, ines.id);
    // Her e-mail is suppressed; a namesake at the same address with an e-mail of her own is still taken in.
    expect(await ingest.ingest(ws, [fact('shop', 'c9', [['email', 'ines@mail.pt']], { traits: { first_name: 'Inês', ...home } })])).toMatchObject({ created: 0 });
    expect(await ingest.ingest(ws, [fact('shop', 'c2', [['email', 'ines.m@other.pt']], { traits: { first_name: 'Inês', ...home } })])).toMatchObject({ created: 1 });
  });

  it('drops only the identifier that would break a limit: a new phone of the same record is kept', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [fact('shopify', '1', [['shopify_customer_id', '1'], ['email', 'shared@home.com']], { traits: { first_name: 'Lee' } })]);
    const second = await ingest.ingest(ws, [
      fact('shopify', '2', [['shopify_customer_id', '2'], ['email', 'shared@home.com'], ['phone', '+14155550199']], { traits: { first_name: 'Lee' } }),
    ]);
    expect(second).toMatchObject({ created: 1, merged: 0, conflicts: 1 });
    expect((await profiles.findByIdentity(ws, 'shopify_customer_id', '2'))?.identities.map((i) => i.type)).toEqual(['phone', 'shopify_customer_id']);
  });

  it('never matches a blocked value; a fact with only blocked identities is rejected with its reason', async () => {
    const ws = await core.workspace();
    const result = await ingest.ingest(ws, [
      fact('csv', 'r1', [['email', 'test@test.com'], ['user_id', 'u-1']]),
      fact('csv', 'r2', [['email', 'TEST@test.com'], ['user_id', 'u-2']]),
      fact('csv', 'r3', [['email', 'test@test.com']]),
    ]);
    expect(result).toMatchObject({ created: 2, rejected: 1 });
    expect(result.rejections).toEqual([{ index: 2, source: 'csv', externalId: 'r3', reason: 'no usable identity: email "test@test.com" is a blocked value' }]);
    expect(result.warnings).toHaveLength(2);
    expect(await profiles.findByIdentity(ws, 'email', 'test@test.com')).toBeUndefined();
  });

  it('undoes a merge: both profiles come back with their own identities, traits and events', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [
      fact('shopify', 'a', [['email', 'dan@x.io']], {
        traits: { first_name: 'Dan' },
        events: [{ type: 'order_placed', occurredAt: at(2), properties: { total: 100 }, dedupeKey: 'o1' }],
      }),
      fact('ga', 'b', [['ga_client_id', 'GA.1']], {
        events: [{ type: 'page_viewed', occurredAt: at(3), properties: {}, dedupeKey: 'p1' }],
        consent: [{ purpose: 'analytics', granted: true, at: at(3) }],
      }),
    ]);
    const historyOf = async (id: string) =>
      (await core.db.dataSource.query(`SELECT purpose FROM consent_changes WHERE workspace_id = $1 AND profile_id = $2`, [ws, id])).map((r: { purpose: string }) => r.purpose);
    const dan = (await profiles.findByIdentity(ws, 'email', 'dan@x.io'))!;
    const visitor = (await profiles.findByIdentity(ws, 'ga_client_id', 'GA.1'))!;
    const before = { dan: await profiles.get(ws, dan.id), visitor: await profiles.get(ws, visitor.id) };

    await ingest.ingest(ws, [fact('api', 'login-1', [['email', 'dan@x.io'], ['ga_client_id', 'GA.1']], { traits: { plan: 'pro' } })]);
    const merged = (await profiles.findByIdentity(ws, 'ga_client_id', 'GA.1'))!;
    expect(merged.id).toBe(dan.id);
    expect(merged.computed).toMatchObject({ orders_count: 1, lifetime_value: 100 });
    expect((await profiles.events(ws, dan.id)).data.map((e) => e.type)).toEqual(['page_viewed', 'order_placed']);
    // Consent and its history follow the merge, and come back with the undo.
    expect(await historyOf(dan.id)).toEqual(['analytics']);

    const [merge] = await merges.list(ws);
    await merges.unmerge(ws, merge!.id);
    const danAfter = await profiles.get(ws, dan.id);
    const visitorAfter = await profiles.get(ws, visitor.id);
    expect(visitorAfter.mergedFrom).toBeUndefined();
    expect(visitorAfter.identities.map((i) => i.value)).toEqual(['GA.1']);
    expect(visitorAfter.traits).toEqual(before.visitor.traits);
    expect(visitorAfter.computed).toEqual(before.visitor.computed);
    expect((await profiles.events(ws, visitor.id)).data.map((e) => e.type)).toEqual(['page_viewed']);
    expect((await profiles.events(ws, dan.id)).data.map((e) => e.type)).toEqual(['order_placed']);
    expect(await historyOf(visitor.id)).toEqual(['analytics']);
    expect(await historyOf(dan.id)).toEqual([]);
    // The record that linked them arrived on Dan's profile after the merge, and stays with Dan.
    expect(danAfter.traits).toEqual({ first_name: 'Dan', plan: 'pro' });
    await expect(merges.unmerge(ws, merge!.id)).rejects.toThrow(/already undone/);
  });

  it('links people to their company account; two colleagues share one account', async () => {
    const ws = await core.workspace();
    const account = { identities: [{ type: 'domain', value: 'https://www.Acme.com/about' }], traits: { name: 'Acme', industry: 'retail', employee_count: 120 } };
    await ingest.ingest(ws, [
      fact('stripe', 'cus_a', [['email', 'eve@acme.com']], { account, traits: { job_title: 'CTO' } }),
      fact('stripe', 'cus_b', [['email', 'fred@acme.com']], { account }),
    ]);
    const eve = (await profiles.findByIdentity(ws, 'email', 'eve@acme.com'))!;
    const fred = (await profiles.findByIdentity(ws, 'email', 'fred@acme.com'))!;
    const company = (await profiles.findByIdentity(ws, 'domain', 'acme.com'))!;
    expect(company.kind).toBe('account');
    expect(company.traits).toEqual({ name: 'Acme', industry: 'retail', employee_count: 120 });
    expect(eve.linked).toEqual([company.id]);
    expect(fred.linked).toEqual([company.id]);
    expect([...company.linked].sort()).toEqual([eve.id, fred.id].sort());
  });

  it('keeps people and accounts apart even when an identifier collides', async () => {
    const ws = await core.workspace();
    await ingest.ingest(ws, [fact('crm', 'acct-1', [['company_id', 'X1']], { kind: 'account' })]);
    const result = await ingest.ingest(ws, [fact('crm', 'person-1', [['company_id', 'X1'], ['email', 'gil@x1.com']])]);
    expect(result).toMatchObject({ created: 1, merged: 0, conflicts: 1 });
    expect((await profiles.findByIdentity(ws, 'email', 'gil@x1.com'))?.kind).toBe('person');
    expect((await profiles.findByIdentity(ws, 'company_id', 'X1'))?.kind).toBe('account');
  });
});
