import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import csv from '@portrait/plugin-csv';
import { PrivacyService } from '../../src/modules/privacy/privacy.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { WebhooksService } from '../../src/modules/webhooks/webhooks.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

describe('privacy: erasure reaches every module', () => {
  let core: TestCore;
  let dir: string;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 's'.repeat(40) }, connectors: [csv] });
    dir = mkdtempSync(join(tmpdir(), 'portrait-privacy-'));
  });
  afterAll(async () => {
    await core?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Rows of every workspace table that mention one of `needles` anywhere. */
  async function rowsMentioning(workspaceId: string, needles: string[]): Promise<Record<string, number>> {
    const tables: { table_name: string }[] = await core.db.dataSource.query(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'workspace_id' ORDER BY table_name`,
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table } of tables) {
      const [row] = await core.db.dataSource.query(
        `SELECT count(*)::int AS n FROM ${table} t WHERE t.workspace_id = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) x WHERE lower(to_jsonb(t)::text) LIKE '%' || x || '%')`,
        [workspaceId, needles],
      );
      if (row.n > 0) counts[table] = row.n;
    }
    return counts;
  }

  it('deletes the profile core rows, segment memberships and their log, webhook deliveries and dead letters of the person, and nothing of a bystander', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const lisbon = await segments.create(ws, { name: 'Lisbon', definition: { trait: 'city', op: 'eq', value: 'Lisbon' } });
    await core.app.get(WebhooksService).create(ws, { url: 'http://127.0.0.1:9/hooks', events: ['profile.updated', 'segment.entered'] });
    writeFileSync(
      join(dir, 'visits.csv'),
      [
        'Visit ID,E-mail,First name,City,Visited at',
        'V-1,eva@example.org,Eva,Lisbon,2026-01-02T10:00:00Z',
        'V-2, EVA@example.org ,Eva,Lisbon,not a date',
        'V-3,bo.bystander@example.org,Bo,Lisbon,2026-01-03T10:00:00Z',
        'V-4,bo.bystander@example.org,Bo,Lisbon,not a date either',
      ].join('\n') + '\n',
    );
    const source = await core.app.get(SourcesService).create(ws, {
      connectorId: 'csv',
      name: 'visits',
      config: {
        directory: dir,
        mapping: {
          externalId: 'Visit ID',
          identities: { 'E-mail': 'email' },
          traits: { 'First name': 'first_name', City: 'city' },
          event: { type: 'store_visited', occurredAt: 'Visited at' },
        },
      },
    });
    const outcome = await core.app.get(SyncService).sync(source.id);
    expect(outcome.started && outcome.run.status).toBe('succeeded');

    const idOf = async (email: string) =>
      ((await core.db.dataSource.query(`SELECT profile_id FROM identities WHERE workspace_id = $1 AND value = $2`, [ws, email])) as { profile_id: string }[])[0]!.profile_id;
    const eva = await idOf('eva@example.org');
    const bo = await idOf('bo.bystander@example.org');
    const before = await rowsMentioning(ws, [eva, 'eva@example.org']);
    expect(before).toMatchObject({ profiles: 1, identities: 1, events: 1, segment_memberships: 1, segment_membership_events: 1, dead_letters: 1 });
    expect(before.webhook_deliveries).toBeGreaterThanOrEqual(2);
    expect((await segments.get(ws, lisbon.id)).size).toBe(2);

    const report = await core.app.get(PrivacyService).erase(ws, eva);
    expect(report.erasedProfileIds).toEqual([eva]);
    expect(report.deleted).toMatchObject({ profiles: 1, identities: 1, events: 1, segment_memberships: 1, segment_membership_events: 1, dead_letters: 1 });
    expect(report.deleted.webhook_deliveries).toBe(before.webhook_deliveries);

    expect(await rowsMentioning(ws, [eva, 'eva@example.org'])).toEqual({});
    // The bystander keeps everything: profile, membership, deliveries and the record refused for him.
    expect(await rowsMentioning(ws, [bo])).toMatchObject({ profiles: 1, segment_memberships: 1, segment_membership_events: 1 });
    expect(await rowsMentioning(ws, ['bo.bystander@example.org'])).toMatchObject({ identities: 1, dead_letters: 1 });
    expect((await segments.get(ws, lisbon.id)).size).toBe(1);
  });
});
