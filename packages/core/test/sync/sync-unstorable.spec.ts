import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncRunsService } from '../../src/modules/sync/sync-runs.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { unstorableConnector } from './test-connectors.js';

describe('a connector\'s records PostgreSQL cannot store', () => {
  let core: TestCore;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 's'.repeat(40) }, connectors: [unstorableConnector] });
  });
  afterAll(() => core?.close());

  it('are dead-lettered each with its reason (NUL, lone surrogate, dates outside 0001–9999, 20,000 levels deep, __proto__), not a failed batch', async () => {
    const workspaceId = await core.workspace();
    const source = await core.app.get(SourcesService).create(workspaceId, { connectorId: 'unstorable', name: 'unstorable', config: {} });
    const outcome = await core.app.get(SyncService).sync(source.id);
    if (!outcome.started) throw new Error('the sync did not start');
    expect({ status: outcome.run.status, error: outcome.run.error }).toEqual({ status: 'succeeded', error: null });
    expect(outcome.run.stats.people).toMatchObject({ read: 9, created: 1, deadLettered: 8 });

    const stored = await core.db.dataSource.query(`SELECT count(*)::int AS profiles, (SELECT count(*)::int FROM events WHERE workspace_id = $1) AS events FROM profiles WHERE workspace_id = $1`, [workspaceId]);
    expect(stored).toEqual([{ profiles: 1, events: 0 }]);

    const letters = await core.app.get(SyncRunsService).deadLetters(workspaceId, source.id);
    const reasonOf = (id: string) => letters.find((l) => (l.payload as { externalId?: string } | null)?.externalId === id)?.reason;
    expect({
      nulTrait: reasonOf('nul-trait'),
      surrogate: reasonOf('surrogate-property'),
      nulKey: reasonOf('nul-key'),
      yearZero: reasonOf('year-zero'),
      year99999: reasonOf('year-99999'),
      yearMinusOne: reasonOf('year-minus-one'),
      deep: reasonOf('deep'),
      proto: reasonOf('proto'),
    }).toEqual({
      nulTrait: 'traits.first_name: must not contain a NUL character (\\u0000)',
      surrogate: 'events.0.properties.note: must be valid Unicode (it holds a lone surrogate)',
      nulKey: 'events.0.properties."no\\u0000te": key must not contain a NUL character (\\u0000)',
      yearZero: 'observedAt: must be a date between the years 0001 and 9999',
      year99999: 'events.0.occurredAt: must be a date between the years 0001 and 9999',
      yearMinusOne: 'events.0.occurredAt: must be a date between the years 0001 and 9999',
      deep: expect.stringMatching(/^events\.0\.properties(\.a)+: is nested too deeply/),
      proto: 'events.0.properties.__proto__: key __proto__ is not allowed',
    });
    // The refused records are kept to look at, with the unstorable characters replaced.
    const nulTrait = letters.find((l) => (l.payload as { externalId?: string } | null)?.externalId === 'nul-trait')!;
    expect(nulTrait.payload).toMatchObject({ traits: { first_name: 'A\ufffdna' } });
  });
});
