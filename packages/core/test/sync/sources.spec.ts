import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidSourceConfigException } from '../../src/modules/sync/sync.exception.js';
import { SECRET_MASK } from '../../src/modules/sync/source-config.js';
import { SourcesService } from '../../src/modules/sync/sources.service.js';
import { SecretBox, SecretBoxException } from '../../src/engine/crypto/secret-box.js';
import { SyncService } from '../../src/modules/sync/sync.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';
import { keyedConnector } from './test-connectors.js';

const KEY = 'k'.repeat(40);

describe('sources', () => {
  let core: TestCore;
  let sources: SourcesService;
  let workspaceId: string;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: KEY }, connectors: [keyedConnector] });
    sources = core.app.get(SourcesService);
    workspaceId = await core.workspace();
  });
  afterAll(() => core.close());

  it('refuses a configuration that does not match the schema, naming each field', async () => {
    const error = await sources
      .create(workspaceId, { connectorId: 'keyed', name: 'bad', config: { apiKey: 'short', account: 'Not Valid' }, schedule: 'every day' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSourceConfigException);
    const { code, errors } = error as InvalidSourceConfigException;
    expect(code).toBe('INVALID_SOURCE_CONFIG');
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'config.apiKey', message: 'must be at least 8 characters' },
        { field: 'config.account', message: 'must be lower-case letters' },
        expect.objectContaining({ field: 'schedule' }),
      ]),
    );
    const [{ count }] = await core.db.dataSource.query(`SELECT count(*)::int AS count FROM sources`);
    expect(count).toBe(0);
  });

  it('stores secrets sealed, returns them masked and keeps them when an update sends the mask', async () => {
    const created = await sources.create(workspaceId, { connectorId: 'keyed', name: 'crm', config: { apiKey: 'good-key-123', account: 'acme' } });
    expect(created.config).toEqual({ apiKey: SECRET_MASK, account: 'acme' });
    expect(created.schedule).toBe('0 * * * *');

    const [row] = await core.db.dataSource.query(`SELECT to_jsonb(s)::text AS raw, secrets_key_id FROM sources s WHERE id = $1`, [created.id]);
    expect(row.raw).not.toContain('good-key-123');
    expect(row.secrets_key_id).toMatch(/^[0-9a-f]{12}$/);

    const updated = await sources.update(workspaceId, created.id, { config: { apiKey: SECRET_MASK, account: 'globex' } });
    expect(updated.config).toEqual({ apiKey: SECRET_MASK, account: 'globex' });
    expect(await sources.check(workspaceId, created.id)).toEqual({ ok: true });
    const outcome = await core.app.get(SyncService).sync(created.id);
    expect(outcome.started && outcome.run.status).toBe('succeeded');
    const emails = await core.db.dataSource.query(`SELECT value FROM identities WHERE workspace_id = $1 ORDER BY value`, [workspaceId]);
    expect(emails.map((e: { value: string }) => e.value)).toEqual(['k0@globex.test', 'k1@globex.test', 'k2@globex.test']);

    const leftOut = await sources.update(workspaceId, created.id, { config: { account: 'globex' } });
    expect(leftOut.config).toEqual({ apiKey: SECRET_MASK, account: 'globex' });
    expect(await sources.check(workspaceId, created.id)).toEqual({ ok: true });

    const replaced = await sources.update(workspaceId, created.id, { config: { apiKey: 'wrong-key-456', account: 'globex' } });
    expect(replaced.config.apiKey).toBe(SECRET_MASK);
    expect(await sources.check(workspaceId, created.id)).toEqual({ ok: false, reason: 'credentials refused (HTTP 401)' });
  });

  it('fails clearly when the stored secrets were sealed with another key, and opens them with a previous key', async () => {
    const created = await sources.create(workspaceId, { connectorId: 'keyed', name: 'rotated', config: { apiKey: 'good-key-123', account: 'acme' } });
    const [row] = await core.db.dataSource.query(`SELECT secrets, secrets_key_id FROM sources WHERE id = $1`, [created.id]);
    const sealed = { ciphertext: row.secrets, keyId: row.secrets_key_id };

    const other = new SecretBox({ secretKey: 'o'.repeat(40), previousSecretKeys: [], databaseUrl: 'postgres://x/y', dataDir: '.' });
    const error = (() => {
      try {
        other.open(sealed);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SecretBoxException);
    expect((error as SecretBoxException).code).toBe('SECRET_KEY_UNKNOWN');
    expect((error as Error).message).toContain('PORTRAIT_SECRET_KEY');

    const rotated = new SecretBox({ secretKey: 'n'.repeat(40), previousSecretKeys: [KEY], databaseUrl: 'postgres://x/y', dataDir: '.' });
    expect(JSON.parse(rotated.open(sealed))).toEqual({ apiKey: 'good-key-123' });
    expect(rotated.seal('x').keyId).not.toBe(sealed.keyId);

    // Secrets sealed by a key this installation does not have: the run fails saying so, the source needs attention.
    const foreign = other.seal(JSON.stringify({ apiKey: 'good-key-123' }));
    await core.db.dataSource.query(`UPDATE sources SET secrets = $2, secrets_key_id = $3 WHERE id = $1`, [created.id, foreign.ciphertext, foreign.keyId]);
    const outcome = await core.app.get(SyncService).sync(created.id);
    expect(outcome.started && outcome.run).toMatchObject({ status: 'failed', retryable: false });
    expect(outcome.started && outcome.run.error).toContain(`sealed with key ${foreign.keyId}`);
    const view = await sources.get(workspaceId, created.id);
    expect(view).toMatchObject({ status: 'needs_attention', config: { apiKey: SECRET_MASK, account: 'acme' } });
    expect(view.statusReason).toContain('PORTRAIT_SECRET_KEYS_PREVIOUS');
  });

  it('lists, disables, enables and deletes sources of a workspace only', async () => {
    const otherWorkspace = await core.workspace();
    const source = await sources.create(otherWorkspace, { connectorId: 'keyed', name: 'crm', config: { apiKey: 'good-key-123', account: 'acme' } });
    expect((await sources.list(otherWorkspace)).map((s) => s.id)).toEqual([source.id]);
    await expect(sources.get(workspaceId, source.id)).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    expect((await sources.disable(otherWorkspace, source.id)).enabled).toBe(false);
    await expect(core.app.get(SyncService).handleWebhook(source.id, { headers: {}, rawBody: Buffer.from('{}'), body: {} })).rejects.toMatchObject({
      code: 'SOURCE_DISABLED',
    });
    expect((await sources.enable(otherWorkspace, source.id)).enabled).toBe(true);
    await sources.delete(otherWorkspace, source.id);
    expect(await sources.list(otherWorkspace)).toEqual([]);
  });
});

describe('the embedded secret key', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'portrait-key-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is made once in the data directory, readable by its owner only, and opens what it sealed after a restart', () => {
    const embedded = { secretKey: undefined, previousSecretKeys: [], databaseUrl: undefined, dataDir };
    const first = new SecretBox(embedded);
    expect(first.canSeal).toBe(true);
    const sealed = first.seal(JSON.stringify({ apiKey: 'good-key-123' }));
    expect(sealed.ciphertext).not.toContain('good-key-123');
    const file = join(dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);

    const restarted = new SecretBox(embedded);
    expect(JSON.parse(restarted.open(sealed))).toEqual({ apiKey: 'good-key-123' });
    expect(restarted.seal('x').keyId).toBe(sealed.keyId);
  });
});

describe('sources without a secret key on a real PostgreSQL', () => {
  let core: TestCore;
  beforeAll(async () => {
    core = await createTestCore({ connectors: [keyedConnector] });
  });
  afterAll(() => core.close());

  it('refuses to store secrets and names PORTRAIT_SECRET_KEY', async () => {
    const workspaceId = await core.workspace();
    await expect(
      core.app.get(SourcesService).create(workspaceId, { connectorId: 'keyed', name: 'crm', config: { apiKey: 'good-key-123', account: 'acme' } }),
    ).rejects.toThrow(/PORTRAIT_SECRET_KEY/);
  });
});
