import type { WebhookRequest } from '@portrait/connector-sdk';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SyncRunsService } from '../../src/modules/sync/sync-runs.service.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { countingConnector, hookedConnector, hookedSignature } from './test-connectors.js';

const SIGNING_SECRET = 'whsec-0123456789abcdef';

/** A webhook call as the API hands it on: the exact bytes, the parsed body, lower-cased headers. */
function webhook(body: unknown, secret = SIGNING_SECRET): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify(body));
  return { headers: { 'content-type': 'application/json', 'x-hooked-signature': hookedSignature(secret, rawBody) }, rawBody, body };
}

describe('source webhooks', () => {
  let core: TestCore;
  let sources: SourcesService;
  let sync: SyncService;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'h'.repeat(40) }, connectors: [hookedConnector, countingConnector] });
    sources = core.app.get(SourcesService);
    sync = core.app.get(SyncService);
  });
  afterAll(() => core.close());

  const profiles = (workspaceId: string) =>
    core.db.dataSource.query(
      `SELECT p.traits->>'first_name' AS name, i.value AS email FROM profiles p JOIN identities i ON i.profile_id = p.id
       WHERE p.workspace_id = $1 AND p.merged_into IS NULL ORDER BY email`,
      [workspaceId],
    );

  it('ingests the facts of a signed webhook, dead-letters those the ingest refuses and returns the reply the channel expects', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'hooked', name: 'hooks', config: { signingSecret: SIGNING_SECRET } });
    const outcome = await sync.handleWebhook(
      source.id,
      webhook({ contacts: [{ id: 'c-1', email: 'Ana@Example.com', name: 'Ana' }, { id: 'c-2', email: 'bo@example.com', name: 'Bo' }, { id: 'c-3', name: 'Nobody' }] }),
    );
    expect(outcome.response).toEqual({ status: 202, body: { received: 3 } });
    expect(outcome.result).toMatchObject({ received: 3, created: 2, rejected: 1 });
    expect(await profiles(workspaceId)).toEqual([
      { name: 'Ana', email: 'ana@example.com' },
      { name: 'Bo', email: 'bo@example.com' },
    ]);
    const [deadLetter] = await core.app.get(SyncRunsService).deadLetters(workspaceId, source.id);
    expect(deadLetter).toMatchObject({ runId: null, stream: null, location: 'webhook fact 2', payload: expect.objectContaining({ externalId: 'c-3' }) });
    expect(deadLetter!.reason).toContain('identit');
  });

  it('refuses a webhook whose signature does not verify with a typed error, and ingests nothing', async () => {
    const workspaceId = await core.workspace();
    const source = await sources.create(workspaceId, { connectorId: 'hooked', name: 'hooks', config: { signingSecret: SIGNING_SECRET } });
    const forged = webhook({ contacts: [{ id: 'c-9', email: 'mallory@example.com' }] }, 'whsec-not-the-right-one');
    await expect(sync.handleWebhook(source.id, forged)).rejects.toMatchObject({ name: 'SyncException', code: 'WEBHOOK_SIGNATURE_INVALID' });

    const tampered = webhook({ contacts: [{ id: 'c-9', email: 'mallory@example.com' }] });
    tampered.rawBody = Buffer.from(JSON.stringify({ contacts: [{ id: 'c-9', email: 'eve@example.com' }] }));
    await expect(sync.handleWebhook(source.id, tampered)).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    expect(await profiles(workspaceId)).toEqual([]);
  });

  it('reports a payload the connector cannot read, and refuses webhooks for a connector without them or a disabled source', async () => {
    const workspaceId = await core.workspace();
    const hooks = await sources.create(workspaceId, { connectorId: 'hooked', name: 'hooks', config: { signingSecret: SIGNING_SECRET } });
    await expect(sync.handleWebhook(hooks.id, webhook({ people: [] }))).rejects.toMatchObject({ code: 'INVALID_WEBHOOK_PAYLOAD' });

    const pages = await sources.create(workspaceId, { connectorId: 'counting', name: 'pages', config: { total: 1, page: 1 } });
    await expect(sync.handleWebhook(pages.id, webhook({ contacts: [] }))).rejects.toMatchObject({ code: 'WEBHOOKS_NOT_SUPPORTED' });

    await sources.disable(workspaceId, hooks.id);
    await expect(sync.handleWebhook(hooks.id, webhook({ contacts: [{ id: 'c-1', email: 'ana@example.com' }] }))).rejects.toMatchObject({
      code: 'SOURCE_DISABLED',
    });
    // Scoped to its workspace: another workspace's id does not reach it.
    const other = await core.workspace();
    await expect(sync.handleWebhook(pages.id, webhook({ contacts: [] }), other)).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    expect(await profiles(workspaceId)).toEqual([]);
  });
});
