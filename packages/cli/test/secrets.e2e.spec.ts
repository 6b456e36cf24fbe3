import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { builtInConnectors } from '@portrait/connectors';
import { IngestService, loadConfig, PortraitCoreModule, PrivacyRequestsService, PrivacyService, SourcesService, WebhooksService, WorkspacesService } from '@portrait/core';
import { createTestDatabase, type TestDatabase } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const OLD_KEY = 'o'.repeat(40);
const NEW_KEY = 'n'.repeat(40);
const TOKEN = 'shpat_0123456789abcdef';
const LEGACY_SECRET = 'whsec_sealed-in-the-earlier-format';

/** A signing secret as webhook subscriptions stored it before they were sealed by the secret box: `keyId.iv.tag.data`. */
function earlierFormat(secretKey: string, secret: string): string {
  const key = createHash('sha256').update(`portrait.webhooks:${secretKey}`).digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  return [keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

describe('portrait secrets rotate', () => {
  let db: TestDatabase;
  const apps: INestApplicationContext[] = [];

  /** The core on the test database with these keys, as an app configured by its environment would run. */
  async function core(env: Record<string, string>): Promise<INestApplicationContext> {
    const config = loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: db.url, ...env });
    const app = await NestFactory.createApplicationContext(
      PortraitCoreModule.forRoot({ config, databaseUrl: db.url, appName: 'test', observability: false, connectors: builtInConnectors }),
      { logger: false },
    );
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.close();
  });

  it('seals source secrets, webhook signing secrets (earlier format included) and privacy exports again under the new key, after which the old one can go', async () => {
    // Under the old key: a source with a secret, two webhook subscriptions (one in the earlier format), a privacy export.
    const before = await core({ PORTRAIT_SECRET_KEY: OLD_KEY });
    const workspaceId = (await before.get(WorkspacesService).create('rotated')).id;
    const source = await before
      .get(SourcesService)
      .create(workspaceId, { connectorId: 'shopify', name: 'shop', config: { shop: 'acme.myshopify.com', accessToken: TOKEN }, enabled: false });
    const webhooks = before.get(WebhooksService);
    const current = await webhooks.create(workspaceId, { url: 'https://hooks.example.org/a', events: ['profile.updated'] });
    const legacy = await webhooks.create(workspaceId, { url: 'https://hooks.example.org/b', events: ['profile.updated'] });
    await db.dataSource.query(`UPDATE webhook_subscriptions SET secret_sealed = $2, secret_key_id = NULL WHERE id = $1`, [legacy.id, earlierFormat(OLD_KEY, LEGACY_SECRET)]);
    const ingested = await before.get(IngestService).ingest(workspaceId, [
      { source: 'crm', externalId: 'c-1', identities: [{ type: 'email', value: 'ana@example.org' }], traits: { first_name: 'Ana' }, observedAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(ingested).toMatchObject({ created: 1, rejected: 0 });
    const exported = await before.get(PrivacyRequestsService).carryOut(workspaceId, source.id, { type: 'export', identities: [{ type: 'email', value: 'ana@example.org' }], reference: 'req-1' });
    expect(exported.status).toBe('completed');
    // Her erasure suppresses her identifiers under the workspace's suppression key, itself sealed.
    const [{ profile_id: ana }] = await db.dataSource.query(`SELECT profile_id FROM identities WHERE value = 'ana@example.org'`);
    await before.get(PrivacyService).erase(workspaceId, ana);

    // The key changes; without a rotation the old one must stay listed as previous.
    const env = { ...cliEnv(), DATABASE_URL: db.url, PORTRAIT_SECRET_KEY: NEW_KEY, PORTRAIT_SECRET_KEYS_PREVIOUS: OLD_KEY };
    const rotated = await runCli(['secrets', 'rotate'], env);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('sealed again under the current key: 1 source secret sets, 2 webhook signing secrets, 1 privacy exports, 1 suppression keys');
    // Nothing is left to do a second time.
    expect((await runCli(['secrets', 'rotate'], env)).stdout).toContain('0 source secret sets, 0 webhook signing secrets, 0 privacy exports, 0 suppression keys');

    // With the new key alone, everything opens.
    const after = await core({ PORTRAIT_SECRET_KEY: NEW_KEY });
    const stored = await db.dataSource.query(`SELECT to_jsonb(s)::text AS raw, secrets, secrets_key_id FROM sources s WHERE id = $1`, [source.id]);
    expect(stored[0].raw).not.toContain(TOKEN);
    const [{ keys }] = await db.dataSource.query(
      `SELECT array_agg(DISTINCT k) AS keys FROM (SELECT secrets_key_id AS k FROM sources UNION ALL SELECT secret_key_id FROM webhook_subscriptions UNION ALL SELECT export_key_id FROM privacy_requests UNION ALL SELECT key_id FROM suppression_keys) x`,
    );
    expect(keys).toEqual([stored[0].secrets_key_id]);
    // The source's secrets open (a change validates the whole configuration), and hold the token: given
    // again as it is, it is recognised as unchanged and the sealed value is kept as it is.
    const sources = after.get(SourcesService);
    expect(await sources.update(workspaceId, source.id, { name: 'shop (renamed)' })).toMatchObject({ name: 'shop (renamed)', status: 'ok' });
    await sources.update(workspaceId, source.id, { config: { shop: 'acme.myshopify.com', accessToken: TOKEN } });
    const [again] = await db.dataSource.query(`SELECT secrets FROM sources WHERE id = $1`, [source.id]);
    expect(again.secrets).toBe(stored[0].secrets);
    const subscriptions = await db.dataSource.query(`SELECT id, secret_sealed, secret_key_id FROM webhook_subscriptions ORDER BY created_at, id`);
    const opened = subscriptions.map((s: { secret_sealed: string; secret_key_id: string | null }) => after.get(WebhooksService).unseal(s));
    expect(opened).toEqual([current.secret, LEGACY_SECRET]);
    const { exports } = await after.get(PrivacyRequestsService).exportOf(workspaceId, exported.id);
    expect(exports).toHaveLength(1);
    // The suppression key opens too: the erased person is still kept out.
    const returning = await after.get(IngestService).ingest(workspaceId, [
      { source: 'crm', externalId: 'c-1', identities: [{ type: 'email', value: 'Ana@Example.org' }], traits: {}, observedAt: '2026-02-01T00:00:00Z' },
    ]);
    expect(returning).toMatchObject({ created: 0, suppressed: 1 });
  }, 60_000);

  it('seals a suppression key kept unsealed (an erasure on a database without a secret key) once a key is set', async () => {
    const keyless = await core({});
    const workspaceId = (await keyless.get(WorkspacesService).create('keyless')).id;
    await keyless.get(IngestService).ingest(workspaceId, [
      { source: 'crm', externalId: 'k-1', identities: [{ type: 'email', value: 'kim@example.org' }], traits: {}, observedAt: '2026-01-01T00:00:00Z' },
    ]);
    const [{ profile_id: kim }] = await db.dataSource.query(`SELECT profile_id FROM identities WHERE workspace_id = $1`, [workspaceId]);
    // The erasure does not fail for want of a key: the workspace's suppression key is kept unsealed.
    await keyless.get(PrivacyService).erase(workspaceId, kim);
    const keyOf = async () => (await db.dataSource.query(`SELECT key_id FROM suppression_keys WHERE workspace_id = $1`, [workspaceId]))[0].key_id;
    expect(await keyOf()).toBe('unsealed');

    const rotated = await runCli(['secrets', 'rotate'], { ...cliEnv(), DATABASE_URL: db.url, PORTRAIT_SECRET_KEY: NEW_KEY });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('1 suppression keys');
    expect(await keyOf()).not.toBe('unsealed');
    const sealed = await core({ PORTRAIT_SECRET_KEY: NEW_KEY });
    const back = await sealed.get(IngestService).ingest(workspaceId, [
      { source: 'crm', externalId: 'k-2', identities: [{ type: 'email', value: 'KIM@example.org' }], traits: {}, observedAt: '2026-02-01T00:00:00Z' },
    ]);
    expect(back).toMatchObject({ created: 0, suppressed: 1 });
  }, 60_000);
});
