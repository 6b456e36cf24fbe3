import { ApiKeyException } from '../../src/modules/api-keys/api-key.exception.js';
import { API_KEY_RECHECK_MS, ApiKeysService, DEFAULT_API_KEY_RATE_LIMIT } from '../../src/modules/api-keys/api-keys.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

describe('ApiKeysService', () => {
  let core: TestCore;
  let keys: ApiKeysService;

  beforeAll(async () => {
    core = await createTestCore();
    keys = core.app.get(ApiKeysService);
  });
  afterAll(() => core?.close());

  it('creates a prt_ key shown once, stores only its digest, and recognizes it', async () => {
    const ws = await core.workspace();
    const { apiKey, key } = await keys.create(ws, { name: 'crm sync', scopes: ['profiles:read', 'events:write'] });
    expect(key).toMatch(/^prt_[A-Za-z0-9]{40}$/);
    expect(apiKey).toMatchObject({ workspaceId: ws, name: 'crm sync', scopes: ['profiles:read', 'events:write'], rateLimitPerMinute: DEFAULT_API_KEY_RATE_LIMIT, revokedAt: null, lastUsedAt: null });
    expect(key.startsWith(apiKey.prefix)).toBe(true);

    const stored = await core.db.dataSource.query(`SELECT t::text AS row FROM api_keys t WHERE id = $1`, [apiKey.id]);
    expect(stored[0].row).not.toContain(key.slice(4));

    expect(await keys.authenticate(key)).toEqual({ keyId: apiKey.id, workspaceId: ws, scopes: ['profiles:read', 'events:write'], rateLimitPerMinute: DEFAULT_API_KEY_RATE_LIMIT });
    expect(await keys.authenticate(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
    expect(await keys.authenticate('not-a-key')).toBeUndefined();
  });

  it('records the last use, writing it at most once a minute', async () => {
    const ws = await core.workspace();
    const { apiKey, key } = await keys.create(ws, { scopes: ['profiles:read'] });
    await keys.authenticate(key);
    const [first] = await keys.list(ws);
    expect(first!.lastUsedAt).not.toBeNull();
    await core.db.dataSource.query(`UPDATE api_keys SET last_used_at = '2020-01-01T00:00:00Z' WHERE id = $1`, [apiKey.id]);
    await keys.authenticate(key);
    const [second] = await keys.list(ws);
    // The same process wrote less than a minute ago: no second write.
    expect(second!.lastUsedAt).toBe('2020-01-01T00:00:00.000Z');
  });

  it('revokes a key so that it no longer authenticates', async () => {
    const ws = await core.workspace();
    const { apiKey, key } = await keys.create(ws, { scopes: ['profiles:read'], rateLimitPerMinute: 5 });
    // Checked once (and remembered): a revocation in this process still takes effect at once.
    expect(await keys.authenticate(key)).toBeDefined();
    const revoked = await keys.revoke(apiKey.id);
    expect(revoked.revokedAt).not.toBeNull();
    expect(await keys.authenticate(key)).toBeUndefined();
    expect((await keys.revoke(apiKey.id)).revokedAt).toBe(revoked.revokedAt);
    await expect(keys.revoke('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'API_KEY_NOT_FOUND' });
    await expect(keys.revoke('nope')).rejects.toBeInstanceOf(ApiKeyException);
  });

  it('trusts a key it just checked for API_KEY_RECHECK_MS, then sees a revocation made elsewhere', async () => {
    const ws = await core.workspace();
    const { apiKey, key } = await keys.create(ws, { scopes: ['profiles:read'] });
    expect(await keys.authenticate(key)).toMatchObject({ keyId: apiKey.id });
    // Revoked by another process (straight in the database): this one does not ask again at once…
    await core.db.dataSource.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [apiKey.id]);
    expect(await keys.authenticate(key)).toMatchObject({ keyId: apiKey.id });
    // …but within API_KEY_RECHECK_MS.
    await new Promise((resolve) => setTimeout(resolve, API_KEY_RECHECK_MS + 50));
    expect(await keys.authenticate(key)).toBeUndefined();
  });

  it('refuses unknown scopes, no scope and a bad rate limit, naming the field', async () => {
    const ws = await core.workspace();
    await expect(keys.create(ws, { scopes: ['profiles:delete' as 'profiles:read'] })).rejects.toMatchObject({ code: 'INVALID_API_KEY_INPUT', message: expect.stringContaining('scopes.0: must be one of profiles:read') });
    await expect(keys.create(ws, { scopes: [] })).rejects.toMatchObject({ message: expect.stringContaining('scopes: a key needs at least one scope') });
    await expect(keys.create(ws, { scopes: ['profiles:read'], rateLimitPerMinute: 0 })).rejects.toMatchObject({ message: expect.stringContaining('rateLimitPerMinute: must be at least 1') });
    expect(await keys.list(ws)).toEqual([]);
  });

  it('lists keys per workspace without secrets', async () => {
    const a = await core.workspace();
    const b = await core.workspace();
    await keys.create(a, { name: 'a1', scopes: ['profiles:read'] });
    await keys.create(b, { name: 'b1', scopes: ['profiles:read'] });
    expect((await keys.list(a)).map((k) => k.name)).toEqual(['a1']);
    expect((await keys.list()).map((k) => k.name)).toEqual(expect.arrayContaining(['a1', 'b1']));
    expect(JSON.stringify(await keys.list())).not.toMatch(/hash/);
  });
});
