import type { ProfileFactInput } from '@portrait/connector-sdk';
import type pg from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { ProfileChangesService, type ProfileChange } from '../../src/modules/profiles/profile-changes.service.js';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncRunsService } from '../../src/modules/sync/sync-runs.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { hookedConnector } from '../sync/test-connectors.js';

const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();

const person = (externalId: string, extra: Partial<ProfileFactInput> = {}): ProfileFactInput => ({
  source: 'hooked',
  externalId,
  identities: [{ type: 'email', value: `${externalId}@x.io` }],
  traits: { nickname: externalId },
  observedAt: day(1),
  ...extra,
});

describe('IngestService.ingestWithin: one transaction for a batch, its dead letters and the caller’s statements, then completed', () => {
  let core: TestCore;
  let ingest: IngestService;
  let dataSource: DataSource;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'i'.repeat(40) }, connectors: [hookedConnector] });
    ingest = core.app.get(IngestService);
    dataSource = core.app.get(DataSource);
  });
  afterAll(() => core?.close());

  const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => core.db.dataSource.query(sql, params);

  /** A workspace with a source, and a run of it. */
  async function sourceAndRun(): Promise<{ ws: string; sourceId: string; runId: string }> {
    const ws = await core.workspace();
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'hooked', name: 'hooks', config: { signingSecret: 'whsec-0123456789abcdef' } });
    const attempt = await core.app.get(SyncRunsService).tryStart({ workspaceId: ws, sourceId: source.id, trigger: 'manual', mode: 'full' });
    if (!('started' in attempt)) throw new Error('the run did not start');
    return { ws, sourceId: source.id, runId: attempt.started.id };
  }

  /** The changes published while `work` runs. */
  async function published<T>(work: () => Promise<T>): Promise<{ value?: T; error?: unknown; changes: ProfileChange[] }> {
    const changes: ProfileChange[] = [];
    const unsubscribe = core.app.get(ProfileChangesService).subscribe((change) => void changes.push(change), { phase: 'notify' });
    try {
      return { value: await work(), changes };
    } catch (error) {
      return { error, changes };
    } finally {
      unsubscribe();
    }
  }

  /** The text of every statement the app's connections send while `work` runs, whitespace folded. */
  async function statements(work: () => Promise<unknown>): Promise<string[]> {
    const sent: string[] = [];
    const create = dataSource.createQueryRunner;
    dataSource.createQueryRunner = (...args: Parameters<DataSource['createQueryRunner']>) => {
      const runner = create.apply(dataSource, args);
      const send = runner.query.bind(runner);
      runner.query = ((text: string, ...rest: unknown[]) => {
        sent.push(text.replace(/\s+/g, ' ').trim());
        return (send as (...a: unknown[]) => Promise<unknown>)(text, ...rest);
      }) as QueryRunner['query'];
      return runner;
    };
    try {
      await work();
    } finally {
      dataSource.createQueryRunner = create;
    }
    return sent;
  }

  it('dead-letters the invalid records and the facts the ingest refuses, each with its location, under the source, run and stream', async () => {
    const { ws, sourceId, runId } = await sourceAndRun();
    const refused = { ...person('nobody'), identities: [] };
    const batch = await ingest.ingestWithin(ws, [person('ana'), refused], {
      deadLetters: { sourceId, runId, stream: 'contacts', invalid: [{ reason: 'not a contact', payload: { raw: 'x' }, location: 'page 2' }], locate: (index) => `fact ${index} of a test batch` },
    });
    expect(batch.result).toMatchObject({ received: 2, created: 1, rejected: 1 });
    expect(batch.deadLettered).toBe(2);
    const deadLetters = (await core.app.get(SyncRunsService).deadLetters(ws, sourceId)).sort((a, b) => String(a.location).localeCompare(String(b.location)));
    expect(deadLetters).toEqual([
      expect.objectContaining({ runId, stream: 'contacts', location: 'fact 1 of a test batch', reason: 'identities: a fact needs at least one identity', payload: refused }),
      expect.objectContaining({ runId, stream: 'contacts', location: 'page 2', reason: 'not a contact', payload: { raw: 'x' } }),
    ]);

    // A batch with no source (the public API's tracking) dead-letters nothing: its caller answers the refusals.
    const tracked = await ingest.ingestWithin(ws, [refused]);
    expect(tracked).toMatchObject({ deadLettered: 0, result: { rejected: 1 } });
    expect(await core.app.get(SyncRunsService).deadLetters(ws, sourceId)).toHaveLength(2);
  });

  it('commits the caller’s statements with the batch and hands back what they answer; if they fail, nothing of either is stored nor published', async () => {
    const { ws, sourceId } = await sourceAndRun();
    const checkpoint = (runner: QueryRunner, state: unknown) =>
      runner.query(`INSERT INTO sync_states (workspace_id, source_id, stream, state, in_progress) VALUES ($1, $2, 'contacts', $3, true)`, [ws, sourceId, JSON.stringify(state)]);

    const done = await published(() =>
      ingest.ingestWithin(ws, [person('bo')], {
        deadLetters: { sourceId, locate: (i) => `fact ${i}` },
        alongside: async (runner, { result, deadLettered }) => {
          await checkpoint(runner, { page: 1 });
          return `created ${result.created}, dead-lettered ${deadLettered}`;
        },
      }),
    );
    expect(done.value?.alongside).toBe('created 1, dead-lettered 0');
    expect(await query(`SELECT state FROM sync_states WHERE source_id = $1`, [sourceId])).toEqual([{ state: { page: 1 } }]);
    expect(done.changes.map((c) => c.profileIds.length)).toEqual([1]);

    const failed = await published(() =>
      ingest.ingestWithin(ws, [person('cy'), { ...person('nobody'), identities: [] }], {
        deadLetters: { sourceId, locate: (i) => `fact ${i}` },
        alongside: async (runner) => {
          await checkpoint(runner, { page: 2 }); // the stream's state exists: a duplicate key
        },
      }),
    );
    expect(failed.error).toMatchObject({ message: expect.stringContaining('duplicate key') });
    expect(failed.changes).toEqual([]);
    expect(await query(`SELECT count(*)::int AS n FROM identities WHERE workspace_id = $1 AND value = 'cy@x.io'`, [ws])).toEqual([{ n: 0 }]);
    expect(await query(`SELECT count(*)::int AS n FROM dead_letters WHERE source_id = $1`, [sourceId])).toEqual([{ n: 0 }]);
    expect(await query(`SELECT count(*)::int AS n FROM profile_recompute_queue WHERE workspace_id = $1`, [ws])).toEqual([{ n: 0 }]);
  });

  it('completes the batch after commit, once its connection is back in the pool: traits recomputed and the change published when it returns', async () => {
    const ws = await core.workspace();
    const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
    const inUse = () => pool.totalCount - pool.idleCount;
    let duringTransaction = -1;
    let whenPublished = -1;
    const unsubscribe = core.app.get(ProfileChangesService).subscribe(
      () => {
        whenPublished = inUse();
      },
      { phase: 'notify' },
    );
    try {
      const { result } = await ingest.ingestWithin(ws, [person('di', { events: [{ type: 'order_placed', occurredAt: day(1), properties: { total: 30 } }] })], {
        alongside: async () => {
          duringTransaction = inUse();
        },
      });
      expect(duringTransaction).toBeGreaterThanOrEqual(1);
      expect(whenPublished).toBe(0);
      const [profile] = await query<{ traits: unknown; computed: { orders_count?: number } }>(`SELECT traits, computed FROM profiles WHERE id = $1`, [result.change.profileIds[0]]);
      expect(profile).toMatchObject({ traits: { nickname: 'di' }, computed: { orders_count: 1 } });
    } finally {
      unsubscribe();
    }
  });

  it('tells the caller once the batch committed, before the batch is completed', async () => {
    const ws = await core.workspace();
    const changes: ProfileChange[] = [];
    const unsubscribe = core.app.get(ProfileChangesService).subscribe((change) => void changes.push(change), { phase: 'notify' });
    let atCommit: { created: number; published: number; stored?: Promise<{ n: number }[]> } | undefined;
    try {
      await ingest.ingestWithin(ws, [person('ed'), person('flo')], {
        committed: ({ result }) => {
          // Read from another connection, sent now: it sees the batch only if it was committed.
          atCommit = { created: result.created, published: changes.length, stored: query<{ n: number }>(`SELECT count(*)::int AS n FROM identities WHERE workspace_id = $1`, [ws]) };
        },
      });
    } finally {
      unsubscribe();
    }
    expect(atCommit).toMatchObject({ created: 2, published: 0 });
    expect(await atCommit!.stored).toEqual([{ n: 2 }]);
    expect(changes.map((c) => c.profileIds.length)).toEqual([2]);
  });

  it('costs no ingest statement for an empty batch (a checkpoint alone): only the caller’s, in a transaction', async () => {
    const { ws, sourceId } = await sourceAndRun();
    const sent = await statements(() =>
      ingest.ingestWithin(ws, [], {
        deadLetters: { sourceId, locate: (i) => `fact ${i}` },
        alongside: async (runner) => {
          await runner.query(`SELECT 1 AS checkpoint`);
        },
      }),
    );
    expect(sent).toEqual(['START TRANSACTION', 'SELECT 1 AS checkpoint', 'COMMIT']);
  });

  it('costs the same statements for a batch of 2 facts and of 200, whatever they create, merge, attach or record', async () => {
    const batches = (size: number) => {
      const people = Array.from({ length: size }, (_, i) => i);
      return [
        // New people with events, consent and their company.
        people.map((i) =>
          person(`p${i}`, {
            events: [{ type: 'order_placed', occurredAt: day(2), properties: { total: i } }],
            consent: [{ purpose: 'email', granted: true, at: day(2) }],
            account: { identities: [{ type: 'domain', value: `co${i % 2}.io` }] },
          }),
        ),
        // Other records of the same people, then records linking them by pairs: merges.
        people.map((i) => ({ ...person(`q${i}`), identities: [{ type: 'user_id', value: `u${i}` }] })),
        people.flatMap((i) => [
          { ...person(`r${i}`), identities: [{ type: 'email', value: `p${i}@x.io` }, { type: 'user_id', value: `u${i}` }] },
          { ...person(`s${i}`), identities: [{ type: 'user_id', value: `u${i}` }, { type: 'user_id', value: `v${i}` }] },
        ]),
      ];
    };
    // The batch's transaction and its recompute's (the listeners that follow have caches of their own).
    const twoTransactions = (sent: string[]) => sent.slice(0, sent.indexOf('COMMIT', sent.indexOf('COMMIT') + 1) + 1);
    const sentFor = async (size: number) => {
      const ws = await core.workspace();
      const sent: string[][] = [];
      for (const batch of batches(size)) sent.push(twoTransactions(await statements(() => ingest.ingest(ws, batch))));
      return sent;
    };
    const small = await sentFor(2);
    const large = await sentFor(200);
    expect(large).toEqual(small);
    // Between them, the batches wrote every table of the ingest (the second user_id of a person is over its limit: a conflict).
    const tables = new Set(small.flat().map((s) => /^(?:WITH written AS \()?(?:INSERT INTO|UPDATE) (\w+)/.exec(s)?.[1]));
    for (const table of ['profiles', 'merges', 'identities', 'source_records', 'events', 'consents', 'account_links', 'identity_conflicts', 'profile_recompute_queue']) {
      expect([table, tables.has(table)]).toEqual([table, true]);
    }
  });
});
