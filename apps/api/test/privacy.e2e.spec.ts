import { createTestApi, person, type TestApi } from './support/test-api.js';

const TABLES = ['profiles', 'identities', 'source_records', 'trait_changes', 'events', 'consents', 'consent_changes', 'account_links', 'merges', 'identity_conflicts'];

describe('privacy: export and erasure', () => {
  let api: TestApi;
  let ws: string;
  let reader: string;
  let eraser: string;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    reader = await api.key(ws, ['profiles:read']);
    eraser = await api.key(ws, ['privacy:write', 'profiles:read']);
  });
  afterAll(() => api?.close());

  /** Two profiles merged into one, with events, consent, an account link and trait history; plus a bystander. */
  async function seed(tag: string, phone: string) {
    await api.ingest(ws, [
      person(`${tag}-1`, [['email', `${tag}@example.org`]], { first_name: 'Eva' }, {
        events: [{ type: 'order_placed', occurredAt: '2026-01-02T00:00:00Z', properties: { total: 20 }, dedupeKey: `${tag}-o1` }],
        consent: [{ purpose: 'email_marketing', granted: true, at: '2026-01-02T00:00:00Z' }],
        account: { identities: [{ type: 'domain', value: `${tag}-corp.example` }], traits: { name: 'Corp' } },
      }),
      person(`${tag}-2`, [['phone', phone]], { last_name: 'Stone' }, { source: 'shop' }),
      person(`${tag}-bystander`, [['email', `${tag}-other@example.org`]], { first_name: 'Bo' }),
    ]);
    await api.ingest(ws, [person(`${tag}-3`, [['email', `${tag}@example.org`], ['phone', phone]], { city: 'Lisbon' })]);
    const found = (await (await api.call(reader, `/v1/profiles/lookup?type=email&value=${tag}@example.org`)).json()) as { id: string };
    return found.id;
  }

  async function rowsMentioning(ids: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const [row] = await api.db.dataSource.query(
        `SELECT count(*)::int AS n FROM ${table} t WHERE t.workspace_id = $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) id WHERE to_jsonb(t)::text LIKE '%' || id || '%')`,
        [ws, ids],
      );
      counts[table] = row.n;
    }
    return counts;
  }

  it('exports everything held on a person, merged profiles included', async () => {
    const id = await seed('exp', '+14155550199');
    const response = await api.call(reader, `/v1/profiles/${id}/export`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown[]> & { profileId: string; mergedProfileIds: string[]; profile: { traits: Record<string, unknown> } };
    expect(body.profileId).toBe(id);
    expect(body.mergedProfileIds).toHaveLength(1);
    expect(body.profile.traits).toMatchObject({ first_name: 'Eva', last_name: 'Stone', city: 'Lisbon' });
    expect((body.identities as { type: string; value: string }[]).map((i) => `${i.type}:${i.value}`).sort()).toEqual(['email:exp@example.org', 'phone:+14155550199']);
    expect(body.sourceRecords).toHaveLength(3);
    expect(body.events).toHaveLength(1);
    expect(body.consents).toHaveLength(1);
    expect(body.consentHistory).toHaveLength(1);
    expect(body.accountLinks).toHaveLength(1);
    expect(body.merges).toHaveLength(1);
    expect(body.traitChanges.length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain('exp-other@example.org');
    // Asked by the merged-away id, the export is the same person's.
    const viaMerged = (await (await api.call(reader, `/v1/profiles/${body.mergedProfileIds[0]}/export`)).json()) as { profileId: string };
    expect(viaMerged.profileId).toBe(id);
  });

  it('erases a person from every table, keeps the bystander and the linked account, and needs privacy:write', async () => {
    const id = await seed('era', '+14155550198');
    const exported = (await (await api.call(reader, `/v1/profiles/${id}/export`)).json()) as { mergedProfileIds: string[]; accountLinks: { account_id: string }[] };
    const ids = [id, ...exported.mergedProfileIds];
    const account = exported.accountLinks[0]!.account_id;
    const bystander = (await (await api.call(reader, '/v1/profiles/lookup?type=email&value=era-other@example.org')).json()) as { id: string };

    expect((await api.call(reader, `/v1/profiles/${id}`, { method: 'DELETE' })).status).toBe(403);
    const before = await rowsMentioning(ids);
    expect(before).toMatchObject({ profiles: 2, events: 1, consents: 1, consent_changes: 1, account_links: 1, merges: 1 });

    const response = await api.call(eraser, `/v1/profiles/${id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { erasedProfileIds: string[]; deleted: Record<string, number> };
    expect(report.erasedProfileIds.sort()).toEqual([...ids].sort());
    expect(report.deleted).toMatchObject({ profiles: 2, events: 1, consents: 1, consent_changes: 1, account_links: 1, merges: 1 });

    expect(await rowsMentioning(ids)).toEqual(Object.fromEntries(TABLES.map((t) => [t, 0])));
    const [{ n: piiLeft }] = await api.db.dataSource.query(
      `SELECT count(*)::int AS n FROM identities WHERE workspace_id = $1 AND value IN ('era@example.org', '+14155550198')`,
      [ws],
    );
    expect(piiLeft).toBe(0);
    expect((await api.call(reader, `/v1/profiles/${id}`)).status).toBe(404);
    expect((await api.call(reader, `/v1/profiles/${ids[1]}`)).status).toBe(404);
    expect((await api.call(reader, `/v1/profiles/${bystander.id}`)).status).toBe(200);
    expect((await api.call(reader, `/v1/profiles/${account}`)).status).toBe(200);
    expect((await api.call(eraser, `/v1/profiles/${id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('keeps an erased person out: identify and track calls and a source\'s facts carrying their identifiers create nothing, and no column of any table holds them', async () => {
    const id = await seed('gone', '+14155550123');
    const writer = await api.key(ws, ['events:write']);
    // A message the ingest refused (no usable identifier) that mentions the person: an intake dead letter.
    const refused = await api.call(writer, '/v1/track', { method: 'POST', body: { userId: 'null', event: 'Contact Form', properties: { contact: 'Gone@Example.org' } } });
    expect(refused.status).toBe(200);
    await api.drained(ws);
    const [{ n: kept }] = await api.db.dataSource.query(`SELECT count(*)::int AS n FROM intake_dead_letters WHERE workspace_id = $1 AND payload::text LIKE '%Gone@Example.org%'`, [ws]);
    expect(kept).toBe(1);
    const erased = await api.call(eraser, `/v1/profiles/${id}`, { method: 'DELETE' });
    expect(erased.status).toBe(200);
    expect(((await erased.json()) as { deleted: Record<string, number> }).deleted).toMatchObject({ intake_dead_letters: 1, intake_log: 0 });

    // Every table and column of the schema, read from the catalogue: text, jsonb and bytea alike.
    const columns: { table_name: string; column_name: string; data_type: string }[] = await api.db.dataSource.query(
      `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
       WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea', 'ARRAY', 'USER-DEFINED')`,
    );
    expect(columns.length).toBeGreaterThan(40);
    const holding = async (needles: string[]): Promise<string[]> => {
      const found: string[] = [];
      for (const c of columns) {
        const text = c.data_type === 'bytea' ? `encode("${c.column_name}", 'escape')` : `"${c.column_name}"::text`;
        const [{ n }] = await api.db.dataSource.query(
          `SELECT count(*)::int AS n FROM "${c.table_name}" WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) v WHERE lower(${text}) LIKE '%' || v || '%')`,
          [needles],
        );
        if (n > 0) found.push(`${c.table_name}.${c.column_name}`);
      }
      return found;
    };
    // The e-mail as stored and as sent, the phone in E.164 and its national digits.
    const needles = ['gone@example.org', '+14155550123', '4155550123'];
    expect(await holding(needles)).toEqual([]);

    // The same person, through every way in: the tracking API (written differently) and a source's facts.
    const identify = await api.call(writer, '/v1/identify', { method: 'POST', body: { userId: 'gone-user', traits: { email: '  Gone@Example.ORG ', first_name: 'Eva' } } });
    expect(identify.status).toBe(200);
    const track = await api.call(writer, '/v1/track', { method: 'POST', body: { anonymousId: 'anon-gone', event: 'Page Visited', context: { traits: { phone: '(415) 555-0123' } } } });
    expect(track.status).toBe(200);
    // Answered once in the intake log; drained, they are dropped there.
    await api.drained(ws);
    const [{ pending }] = await api.db.dataSource.query(`SELECT count(*)::int AS pending FROM intake_log WHERE workspace_id = $1`, [ws]);
    expect(pending).toBe(0);
    const ingested = await api.ingest(ws, [person('gone-again', [['email', 'gone@example.org']], { first_name: 'Eva' }), person('gone-newcomer', [['email', 'newcomer@example.org']])]);
    expect(ingested).toMatchObject({ created: 1, suppressed: 1, rejected: 0 });
    expect((await api.call(reader, '/v1/profiles/lookup?type=email&value=gone@example.org')).status).toBe(404);
    expect((await api.call(reader, '/v1/profiles/lookup?type=phone&value=%2B14155550123')).status).toBe(404);
    expect((await api.call(reader, '/v1/profiles/lookup?type=user_id&value=gone-user')).status).toBe(404);
    expect(await holding(needles)).toEqual([]);
  });
});
