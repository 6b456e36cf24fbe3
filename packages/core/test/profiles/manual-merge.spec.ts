import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { MergesService } from '../../src/modules/profiles/merges.service.js';
import { ProfileException } from '../../src/modules/profiles/profile.exception.js';
import { ProfilesService } from '../../src/modules/profiles/profiles.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

const fact = (externalId: string, identities: [string, string][], traits: Record<string, unknown> = {}, kind: 'person' | 'account' = 'person'): ProfileFactInput => ({
  source: 'crm',
  externalId,
  kind,
  identities: identities.map(([type, value]) => ({ type, value })),
  traits,
  observedAt: '2026-01-10T00:00:00.000Z',
});

describe('MergesService.merge (by hand)', () => {
  let core: TestCore;
  let ws: string;
  let merges: MergesService;
  let profiles: ProfilesService;
  const idOf = async (type: string, value: string) => (await profiles.findByIdentity(ws, type, value))!.id;
  const actor = { label: 'cli:ops', via: 'cli' as const };

  beforeAll(async () => {
    core = await createTestCore();
    ws = await core.workspace();
    merges = core.app.get(MergesService);
    profiles = core.app.get(ProfilesService);
    await core.app.get(IngestService).ingest(ws, [
      fact('ana', [['email', 'ana@x.io']], { first_name: 'Ana', city: 'Lisbon' }),
      fact('ana-shop', [['email', 'ana.s@x.io']], { city: 'Porto' }),
      fact('ana-app', [['anonymous_id', 'anon-1']], {}),
      fact('acme', [['domain', 'acme.io']], { name: 'Acme' }, 'account'),
    ]);
  });
  afterAll(() => core?.close());

  it('refuses a person into an account, naming mergedId, and changes nothing', async () => {
    const error = await merges.merge(ws, await idOf('domain', 'acme.io'), await idOf('email', 'ana@x.io'), actor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProfileException);
    expect(error).toMatchObject({ code: 'INVALID_MERGE', details: { errors: [{ field: 'mergedId' }] } });
    expect(await merges.list(ws)).toEqual([]);
  });

  it('merges into the survivor the caller picks, following merged-away ids to their survivors', async () => {
    const [ana, shop, app] = [await idOf('email', 'ana@x.io'), await idOf('email', 'ana.s@x.io'), await idOf('anonymous_id', 'anon-1')];
    const first = await merges.merge(ws, shop, ana, actor);
    expect(first).toMatchObject({ winnerId: shop, loserId: ana, reason: { source: 'admin', externalId: 'cli:ops', linkedBy: [], actor } });
    // `ana` now stands for `shop`: the app profile goes into shop.
    const second = await merges.merge(ws, ana, app, actor);
    expect(second).toMatchObject({ winnerId: shop, loserId: app });
    const merged = await profiles.get(ws, shop);
    expect(merged.identities.map((i) => i.value).sort()).toEqual(['ana.s@x.io', 'ana@x.io', 'anon-1']);
    expect(merged.traits).toMatchObject({ first_name: 'Ana' });
    await expect(merges.merge(ws, shop, app, actor)).rejects.toMatchObject({ code: 'INVALID_MERGE' });

    // Undone newest first, each profile gets back exactly its own identities.
    await merges.unmerge(ws, second.id);
    await merges.unmerge(ws, first.id);
    expect((await profiles.get(ws, ana)).identities.map((i) => i.value)).toEqual(['ana@x.io']);
    expect((await profiles.get(ws, app)).identities.map((i) => i.value)).toEqual(['anon-1']);
    expect((await profiles.get(ws, shop)).traits).toEqual({ city: 'Porto' });
  });
});
