import { randomUUID } from 'node:crypto';
import { inTransaction } from '../../src/engine/database/sql.js';
import { PersonaAssignmentService } from '../../src/modules/personas/persona-assignment.service.js';
import { PersonasService } from '../../src/modules/personas/personas.service.js';
import { withPeopleOfAccounts } from '../../src/modules/segments/segment-leaves/account-trait.leaf.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { insertPopulation, type TestProfile } from './segment-population.js';

/** An account of the software industry with two linked people, and one person linked to nothing. */
function company(): { account: TestProfile; people: TestProfile[]; loner: TestProfile } {
  const profile = (kind: TestProfile['kind'], traits: Record<string, unknown>, accounts: string[] = []): TestProfile => ({
    id: randomUUID(), kind, traits, computed: {}, mergedInto: null, personaId: null, typology: null, identities: [], events: [], consents: [], accounts,
  });
  const account = profile('account', { industry: 'software' });
  return { account, people: [profile('person', { country: 'BR' }, [account.id]), profile('person', { country: 'US' }, [account.id])], loner: profile('person', { country: 'BR' }) };
}

describe('segments and personas on account traits, across workspaces', () => {
  let core: TestCore;
  let segments: SegmentsService;
  let membership: SegmentMembershipService;
  let personas: PersonasService;
  let assignment: PersonaAssignmentService;
  let a: string;
  let b: string;
  const inA = company();
  const inB = company();
  const ids = (c: ReturnType<typeof company>) => [c.account.id, ...c.people.map((p) => p.id), c.loner.id];

  beforeAll(async () => {
    core = await createTestCore();
    segments = core.app.get(SegmentsService);
    membership = core.app.get(SegmentMembershipService);
    personas = core.app.get(PersonasService);
    assignment = core.app.get(PersonaAssignmentService);
    [a, b] = [await core.workspace(), await core.workspace()];
    await insertPopulation(core.db.dataSource, a, [inA.account, ...inA.people, inA.loner]);
    await insertPopulation(core.db.dataSource, b, [inB.account, ...inB.people, inB.loner]);
  });
  afterAll(() => core?.close());

  it('widens a change of accounts to the people linked to them in the same workspace only', async () => {
    // A batch naming an account of the other workspace must not pull that account's people in.
    const concerned = await inTransaction(core.db.dataSource, (runner) => withPeopleOfAccounts(runner, a, [inA.account.id, inB.account.id]));
    expect([...concerned].sort()).toEqual([inA.account.id, inB.account.id, ...inA.people.map((p) => p.id)].sort());
  });

  it('never lets a segment of one workspace see or take in profiles of the other', async () => {
    const definition = { accountTrait: 'industry', op: 'eq', value: 'software' };
    const ofA = await segments.create(a, { name: 'Software people', definition });
    const ofB = await segments.create(b, { name: 'Software people', definition });
    await membership.recompute(a, ofA.id);
    await membership.recompute(b, ofB.id);
    const members = async (ws: string, id: string) => (await segments.members(ws, id)).data.map((m) => m.profileId).sort();
    expect(await members(a, ofA.id)).toEqual(inA.people.map((p) => p.id).sort());
    expect(await members(b, ofB.id)).toEqual(inB.people.map((p) => p.id).sort());

    // Both accounts' traits change; an incremental run of workspace A is handed both accounts.
    await core.db.dataSource.query(`UPDATE profiles SET traits = '{"industry":"retail"}' WHERE id = ANY($1::uuid[])`, [[inA.account.id, inB.account.id]]);
    await membership.recomputeProfiles(a, [inA.account.id, inB.account.id]);
    expect(await members(a, ofA.id)).toEqual([]);
    // Workspace B's segment is B's to recompute: the run of A left it as it was.
    expect(await members(b, ofB.id)).toEqual(inB.people.map((p) => p.id).sort());

    await core.db.dataSource.query(`UPDATE profiles SET traits = '{"industry":"software"}' WHERE id = ANY($1::uuid[])`, [[inA.account.id, inB.account.id]]);
    await membership.recomputeProfiles(a, [...ids(inA), ...ids(inB)]);
    expect(await members(a, ofA.id)).toEqual(inA.people.map((p) => p.id).sort());
    // No membership, membership event or run of workspace A's segments ever held a profile of B.
    const [leaked] = await core.db.dataSource.query(
      `SELECT (SELECT count(*) FROM segment_memberships WHERE segment_id = $1 AND profile_id = ANY($2::uuid[]))::int AS memberships,
              (SELECT count(*) FROM segment_membership_events WHERE segment_id = $1 AND profile_id = ANY($2::uuid[]))::int AS events`,
      [ofA.id, ids(inB)],
    );
    expect(leaked).toEqual({ memberships: 0, events: 0 });
  });

  it('never lets a persona of one workspace score or assign profiles of the other', async () => {
    const persona = await personas.create(a, { name: 'Software buyer', rules: [{ condition: { accountTrait: 'industry', op: 'eq', value: 'software' }, weight: 1 }] });
    const run = await assignment.assignProfiles(a, [inA.account.id, inB.account.id]);
    expect(run.assignments.map((x) => x.profileId).sort()).toEqual([]);
    // The account of A and its two people are scored (they were assigned when the persona was created); nothing of B.
    expect(run.evaluated).toBe(3);
    const held: { id: string }[] = await core.db.dataSource.query(`SELECT id FROM profiles WHERE persona_id = $1 ORDER BY id`, [persona.id]);
    expect(held.map((r) => r.id)).toEqual(inA.people.map((p) => p.id).sort());
  });
});
