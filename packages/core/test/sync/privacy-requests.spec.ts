import type { PrivacyRequest, ProfileFactInput, WebhookRequest } from '@portrait/connector-sdk';
import { PrivacyRequestsService } from '../../src/modules/privacy/privacy-requests.service.js';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { SuppressionService } from '../../src/modules/suppression/suppression.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { hookedConnector, hookedSignature } from './test-connectors.js';

const SIGNING_SECRET = 'whsec-0123456789abcdef';
const TABLES = ['profiles', 'identities', 'source_records', 'events', 'consents', 'trait_changes'];

function webhook(body: unknown): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify(body));
  return { headers: { 'content-type': 'application/json', 'x-hooked-signature': hookedSignature(SIGNING_SECRET, rawBody) }, rawBody, body };
}

const person = (id: string, email: string, extra: Partial<ProfileFactInput> = {}): ProfileFactInput => ({
  source: 'shop',
  externalId: id,
  identities: [{ type: 'email', value: email }, { type: 'shopify_customer_id', value: id }],
  traits: { first_name: id },
  events: [{ type: 'order_placed', occurredAt: '2026-03-01T00:00:00Z', properties: { order_id: `o-${id}`, total: 10 }, dedupeKey: `o-${id}` }],
  consent: [{ purpose: 'email_marketing', granted: true, at: '2026-03-01T00:00:00Z' }],
  observedAt: '2026-03-02T00:00:00Z',
  ...extra,
});

describe('privacy requests forwarded by source webhooks', () => {
  let core: TestCore;
  let sync: SyncService;
  let requests: PrivacyRequestsService;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'p'.repeat(40) }, connectors: [hookedConnector] });
    sync = core.app.get(SyncService);
    requests = core.app.get(PrivacyRequestsService);
  });
  afterAll(() => core?.close());

  /** A workspace with a webhook source and three people: Ana, Bo, and Cy (Ana's second account elsewhere). */
  async function shop() {
    const workspaceId = await core.workspace();
    const source = await core.app.get(SourcesService).create(workspaceId, { connectorId: 'hooked', name: 'hooks', config: { signingSecret: SIGNING_SECRET } });
    await core.app.get(IngestService).ingest(workspaceId, [person('1001', 'ana@example.com'), person('1002', 'bo@example.com'), person('1003', 'ana.work@example.com')]);
    return { workspaceId, sourceId: source.id };
  }

  /** The rows of the profile tables that belong to the profiles of these emails — or, with `others`, to every other profile. */
  async function rowsOf(workspaceId: string, emails: string[], others = false): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const table of TABLES) {
      const column = table === 'profiles' ? 'id' : 'profile_id';
      const found: { row: string }[] = await core.db.dataSource.query(
        `SELECT t::text AS row FROM ${table} t
         WHERE t.workspace_id = $1 AND t.${column} ${others ? 'NOT IN' : 'IN'} (SELECT profile_id FROM identities WHERE workspace_id = $1 AND type = 'email' AND value = ANY($2::text[]))
         ORDER BY 1`,
        [workspaceId, emails],
      );
      out[table] = found.map((r) => r.row);
    }
    return out;
  }
  const ANA = ['ana@example.com', 'ana.work@example.com'];

  /**
   * The workspace's privacy request rows, oldest first: every column but the generated ones (ids and
   * times), so that comparing them whole shows all that is stored.
   */
  const privacyRows = (workspaceId: string): Promise<Record<string, unknown>[]> =>
    core.db.dataSource
      .query(`SELECT to_jsonb(p) - 'id' - 'workspace_id' - 'source_id' - 'requested_at' - 'completed_at' AS row FROM privacy_requests p WHERE p.workspace_id = $1 ORDER BY requested_at`, [workspaceId])
      .then((found: { row: Record<string, unknown> }[]) => found.map((r) => r.row));

  it('erases every profile the identities resolve to (normalized as at ingest), and only them, recording counts without personal data', async () => {
    const { workspaceId, sourceId } = await shop();
    const others = await rowsOf(workspaceId, ANA, true);
    expect(others.profiles).toHaveLength(1);
    expect((await rowsOf(workspaceId, ['ana@example.com'])).events).toHaveLength(1);
    const anaIds: string[] = (
      await core.db.dataSource.query(`SELECT DISTINCT profile_id AS id FROM identities WHERE workspace_id = $1 AND type = 'email' AND value = ANY($2::text[])`, [workspaceId, ANA])
    ).map((r: { id: string }) => r.id);
    expect(anaIds).toHaveLength(2);

    const erase: PrivacyRequest = { type: 'erase', identities: [{ type: 'email', value: '  ANA@Example.com ' }, { type: 'shopify_customer_id', value: '1003' }], reference: 'redact-1' };
    const outcome = await sync.handleWebhook(sourceId, webhook({ contacts: [], privacy: [erase] }));

    // No reply asked for: the API answers 200 with its receipt.
    expect(outcome.response).toBeUndefined();
    expect(outcome.privacyRequests).toEqual([
      expect.objectContaining({ type: 'erase', reference: 'redact-1', status: 'completed', identities: 2, profiles: 2, repeated: false, hasExport: false }),
    ]);
    expect(outcome.privacyRequests[0]!.deleted).toMatchObject({ profiles: 2, identities: 4, events: 2, consents: 2, source_records: 2 });
    // Nothing left anywhere that points at Ana's two profiles.
    for (const table of TABLES) {
      const column = table === 'profiles' ? 'id' : 'profile_id';
      const [left] = await core.db.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = ANY($1::uuid[])`, [anaIds]);
      expect({ table, left: left.n }).toEqual({ table, left: 0 });
    }
    const [leftover] = await core.db.dataSource.query(
      `SELECT count(*)::int AS n FROM identities WHERE workspace_id = $1 AND value IN ('ana@example.com', 'ana.work@example.com', '1001', '1003')`,
      [workspaceId],
    );
    expect(leftover.n).toBe(0);
    // Bo is untouched.
    expect(await rowsOf(workspaceId, ANA, true)).toEqual(others);

    // The record holds counts and the reference, nothing of the person.
    expect(await privacyRows(workspaceId)).toEqual([
      {
        type: 'erase',
        reference: 'redact-1',
        status: 'completed',
        identities: 2,
        profiles: 2,
        deleted: outcome.privacyRequests[0]!.deleted,
        export_sealed: null,
        export_key_id: null,
      },
    ]);
  });

  it('keeps the export of a data request sealed, readable back through the service', async () => {
    const { workspaceId, sourceId } = await shop();
    const outcome = await sync.handleWebhook(sourceId, webhook({ contacts: [], privacy: [{ type: 'export', identities: [{ type: 'email', value: 'Ana@Example.com' }], reference: 'data-request-7' }] }));
    const [done] = outcome.privacyRequests;
    expect(done).toMatchObject({ type: 'export', status: 'completed', profiles: 1, hasExport: true, deleted: null });

    // Nothing of the person in clear at rest: the other columns hold counts, the export is ciphertext.
    const [stored] = await privacyRows(workspaceId);
    expect(stored).toEqual({
      type: 'export',
      reference: 'data-request-7',
      status: 'completed',
      identities: 1,
      profiles: 1,
      deleted: null,
      export_sealed: expect.stringMatching(/^v1\.[\w.-]+$/),
      export_key_id: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(stored!.export_sealed).not.toContain('example.com');

    const { request, exports } = await requests.exportOf(workspaceId, done!.id);
    expect(request).toMatchObject({ id: done!.id, status: 'completed' });
    expect(exports).toHaveLength(1);
    expect(exports[0]!.identities.map((i) => i.value).sort()).toEqual(['1001', 'ana@example.com']);
    expect(exports[0]!.events).toEqual([expect.objectContaining({ type: 'order_placed', properties: { order_id: 'o-1001', total: 10 } })]);
    expect(exports[0]!.profile).toMatchObject({ traits: { first_name: '1001' } });
    // The data stays: an export erases nothing.
    expect((await rowsOf(workspaceId, ['ana@example.com'])).profiles).toHaveLength(1);
    // Another workspace does not reach it; an erasure has no export.
    await expect(requests.exportOf(await core.workspace(), done!.id)).rejects.toMatchObject({ code: 'PRIVACY_REQUEST_NOT_FOUND' });
  });

  it('does nothing new when a request is redelivered, even if the person came back meanwhile', async () => {
    const { workspaceId, sourceId } = await shop();
    const erase = { type: 'erase', identities: [{ type: 'email', value: 'bo@example.com' }], reference: 'redact-bo' };
    const first = await sync.handleWebhook(sourceId, webhook({ contacts: [], privacy: [erase] }));
    expect(first.privacyRequests[0]).toMatchObject({ status: 'completed', profiles: 1, repeated: false });

    // The erasure suppressed his e-mail: signing up again brings nothing back until an admin lifts it.
    await sync.handleWebhook(sourceId, webhook({ contacts: [{ id: 'c-bo', email: 'bo@example.com', name: 'Bo' }] }));
    expect((await rowsOf(workspaceId, ['bo@example.com'])).profiles).toHaveLength(0);
    await core.app.get(SuppressionService).lift(workspaceId, { type: 'email', value: 'bo@example.com' });
    // Bo signs up again afterwards: a new profile, which the old request does not reach.
    await sync.handleWebhook(sourceId, webhook({ contacts: [{ id: 'c-bo', email: 'bo@example.com', name: 'Bo' }] }));
    const again = await sync.handleWebhook(sourceId, webhook({ contacts: [], privacy: [erase] }));
    expect(again.privacyRequests[0]).toMatchObject({ id: first.privacyRequests[0]!.id, status: 'completed', profiles: 1, repeated: true });
    expect((await rowsOf(workspaceId, ['bo@example.com'])).profiles).toHaveLength(1);
    expect(await privacyRows(workspaceId)).toHaveLength(1);
    expect(await requests.list(workspaceId)).toEqual([expect.objectContaining({ reference: 'redact-bo', identities: 1, profiles: 1 })]);
  });

  it('records identities that match nobody as nothing to do, not as an error', async () => {
    const { workspaceId, sourceId } = await shop();
    const before = await rowsOf(workspaceId, ANA, true);
    const outcome = await sync.handleWebhook(
      sourceId,
      webhook({
        contacts: [],
        privacy: [
          { type: 'erase', identities: [{ type: 'email', value: 'nobody@example.com' }, { type: 'email', value: 'not an email' }], reference: 'redact-x' },
          { type: 'export', identities: [{ type: 'shopify_customer_id', value: '999999' }] },
        ],
      }),
    );
    expect(outcome.privacyRequests).toEqual([
      expect.objectContaining({ type: 'erase', status: 'no_match', profiles: 0, deleted: {} }),
      expect.objectContaining({ type: 'export', reference: null, status: 'no_match', profiles: 0, hasExport: false }),
    ]);
    // Nothing held on them: no export to hand over, and the record says so.
    await expect(requests.exportOf(workspaceId, outcome.privacyRequests[1]!.id)).rejects.toMatchObject({ code: 'PRIVACY_EXPORT_NOT_FOUND' });
    expect(await rowsOf(workspaceId, ANA, true)).toEqual(before);
    expect((await rowsOf(workspaceId, ['ana@example.com'])).profiles).toHaveLength(1);
  });

  it('refuses a webhook with a malformed privacy request with a typed error naming the field, and stores nothing of it', async () => {
    const { workspaceId, sourceId } = await shop();
    const before = { ana: await rowsOf(workspaceId, ['ana@example.com']), others: await rowsOf(workspaceId, ANA, true) };
    const malformed = webhook({
      contacts: [{ id: 'c-new', email: 'new@example.com', name: 'New' }],
      privacy: [
        { type: 'erase', identities: [{ type: 'email', value: 'ana@example.com' }], reference: 'ok-1' },
        { type: 'erase', identities: [{ type: 'E-mail', value: 'ana@example.com' }] },
      ],
    });
    const refused = sync.handleWebhook(sourceId, malformed);
    await expect(refused).rejects.toMatchObject({ name: 'SyncException', code: 'INVALID_PRIVACY_REQUEST' });
    await expect(sync.handleWebhook(sourceId, malformed)).rejects.toThrow(/privacy request 1 of the webhook is not valid: identities\.0\.type: must be lower snake case/);
    await expect(sync.handleWebhook(sourceId, malformed)).rejects.not.toThrow(/ana@example\.com/);
    await expect(sync.handleWebhook(sourceId, webhook({ contacts: [], privacy: [{ type: 'forget', identities: [] }] }))).rejects.toMatchObject({ code: 'INVALID_PRIVACY_REQUEST' });

    expect(await rowsOf(workspaceId, ['ana@example.com'])).toEqual(before.ana);
    expect(await rowsOf(workspaceId, ANA, true)).toEqual(before.others);
    expect(await privacyRows(workspaceId)).toEqual([]);
  });
});
