import { IntakeLogService } from '../../src/modules/intake/intake-log.service.js';
import { IntakeProcessor } from '../../src/modules/intake/intake-processor.service.js';
import { createTestCore, type TestCore } from '../../src/testing/test-core.js';

const LAST = '9223372036854775807';

function track(userId: string, key: string) {
  return {
    source: 'api',
    externalId: `user_id:${userId}`,
    kind: 'person',
    identities: [{ type: 'user_id', value: userId }],
    observedAt: '2026-01-01T00:00:00Z',
    events: [{ type: 'clicked', occurredAt: '2026-01-01T00:00:00Z', properties: {}, dedupeKey: key }],
  };
}

describe('intake processor', () => {
  let core: TestCore;

  beforeAll(async () => {
    core = await createTestCore();
  });
  afterAll(() => core?.close());

  it('dead-letters a message the database refuses and drains the others around it', async () => {
    // A message every check lets through but the database refuses: a constraint on the events of one key.
    await core.db.dataSource.query(`ALTER TABLE events ADD CONSTRAINT test_refuses_bad_key CHECK (dedupe_key IS DISTINCT FROM 'bad')`);
    const ws = await core.workspace();
    const log = core.app.get(IntakeLogService);
    await log.append(ws, [track('a', 'k1'), track('b', 'k2'), track('c', 'bad'), track('d', 'k4')]);
    const processor = core.app.get(IntakeProcessor);
    processor.start();
    try {
      expect(await log.waitUntilProcessed({ workspaceId: ws, firstId: '0', lastId: LAST }, 10_000)).toBe(true);
    } finally {
      await processor.stop();
    }
    const events: { dedupe_key: string }[] = await core.db.dataSource.query(`SELECT dedupe_key FROM events WHERE workspace_id = $1 ORDER BY dedupe_key`, [ws]);
    const deadLetters: { reason: string; payload: { externalId: string } }[] = await core.db.dataSource.query(
      `SELECT reason, payload FROM intake_dead_letters WHERE workspace_id = $1`,
      [ws],
    );
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.payload.externalId).toBe('user_id:c');
    expect(deadLetters[0]!.reason).toMatch(/^the ingest could not store this message: /);
    expect(events.map((e) => e.dedupe_key)).toEqual(['k1', 'k2', 'k4']);
  });
});
