import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { tagConnector, tagged } from './test-connectors.js';

const person = (externalId: string, identities: { type: string; value: string }[], traits: Record<string, unknown>, observedAt = '2026-01-01T00:00:00Z') => ({
  source: 'shop',
  externalId,
  identities,
  traits,
  observedAt,
});

describe('segment destinations through the sync engine', () => {
  let core: TestCore;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'd'.repeat(40) }, connectors: [tagConnector] });
  });
  afterAll(() => core.close());

  it("pushes each committed diff to the destination source's syncSegment with members' identities, and records the outcome", async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const ingest = core.app.get(IngestService);
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'tag-token-123' } });
    const vip = await segments.create(ws, { name: 'VIP', key: 'vip', definition: { trait: 'vip', op: 'eq', value: true } });
    await segments.connectDestination(ws, vip.id, source.id);

    await ingest.ingest(ws, [
      person('1', [{ type: 'email', value: ' Ana@X.io ' }], { vip: true }),
      person('2', [{ type: 'email', value: 'bo@x.io' }], { vip: false }),
      person('3', [{ type: 'user_id', value: 'u-3' }], { vip: true }),
    ]);
    expect([...tagged.members.get('vip')!]).toEqual(['ana@x.io']);
    const [row] = await core.db.dataSource.query(`SELECT last_synced, last_skipped, last_error, last_pushed_at FROM segment_destinations WHERE segment_id = $1`, [vip.id]);
    expect(row).toMatchObject({ last_synced: 1, last_skipped: 1, last_error: null });
    expect(row.last_pushed_at).not.toBeNull();

    await ingest.ingest(ws, [person('1', [{ type: 'email', value: 'ana@x.io' }], { vip: false }, '2026-02-01T00:00:00Z'), person('2', [{ type: 'email', value: 'bo@x.io' }], { vip: true }, '2026-02-01T00:00:00Z')]);
    expect([...tagged.members.get('vip')!]).toEqual(['bo@x.io']);
    expect(tagged.calls.at(-1)).toEqual({ key: 'vip', entered: ['bo@x.io'], exited: ['ana@x.io'] });
  });

  it('keeps a refused destination from failing the ingest: the error is recorded without the secret and the source needs attention', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const sources = core.app.get(SourcesService);
    const source = await sources.create(ws, { connectorId: 'tagger', name: 'tags', config: { token: 'wrong-token-456' } });
    const all = await segments.create(ws, { name: 'Everyone with an email', key: 'emails', definition: { identity: 'email', op: 'exists' } });
    await segments.connectDestination(ws, all.id, source.id);

    const result = await core.app.get(IngestService).ingest(ws, [person('9', [{ type: 'email', value: 'cy@x.io' }], {})]);
    expect(result.created).toBe(1);
    expect((await segments.members(ws, all.id)).data).toHaveLength(1);
    const [row] = await core.db.dataSource.query(`SELECT last_synced, last_error FROM segment_destinations WHERE segment_id = $1`, [all.id]);
    expect(row.last_synced).toBe(0);
    expect(row.last_error).toContain('refused (HTTP 401)');
    expect(row.last_error).not.toContain('wrong-token-456');
    expect(await sources.get(ws, source.id)).toMatchObject({ status: 'needs_attention' });
  });
});
