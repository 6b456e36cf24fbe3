import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogService, IngestService, MergesService, PersonasService, ProfilesService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));

const fact = (externalId: string, identities: [string, string][], traits: Record<string, unknown> = {}) => ({
  source: 'crm',
  externalId,
  identities: identities.map(([type, value]) => ({ type, value })),
  traits,
  observedAt: '2026-01-10T00:00:00.000Z',
});

describe('portrait profile, merge profiles and persona show/update/delete', () => {
  let core: TestCore;
  let ws: string;
  let dir: string;
  let ana: string;
  let bo: string;
  const lookup = (type: string, value: string) => core.app.get(ProfilesService).findByIdentity(ws, type, value);

  beforeAll(async () => {
    core = await createTestCore();
    ws = (await core.app.get(WorkspacesService).create('acme')).id;
    await core.app.get(WorkspacesService).create('other');
    dir = mkdtempSync(join(tmpdir(), 'portrait-profile-'));
    await core.app.get(IngestService).ingest(ws, [
      fact('ana', [['email', 'ana@example.org']], { first_name: 'Ana', last_name: 'Silva', city: 'Lisbon' }),
      fact('bo', [['email', 'bo@example.org']], { first_name: 'Bo', last_name: 'Chen', city: 'Porto' }),
    ]);
    ana = (await lookup('email', 'ana@example.org'))!.id;
    bo = (await lookup('email', 'bo@example.org'))!.id;
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('shows a profile 360 by id or by an identifier, as JSON, and audits the read', async () => {
    const byIdentity = await run(['profile', 'show', '--workspace', 'acme', 'email:Ana@Example.org'], core.db.url);
    expect(byIdentity.stderr).toBe('');
    expect(byIdentity.code).toBe(0);
    const shown = JSON.parse(byIdentity.stdout) as { profile: { id: string; traits: Record<string, unknown> }; traits: { traits: Record<string, { source: string }> }; merges: unknown[] };
    expect(shown.profile).toMatchObject({ id: ana, traits: { first_name: 'Ana', city: 'Lisbon' } });
    expect(shown.traits.traits.city).toMatchObject({ source: 'crm' });
    expect(JSON.parse((await run(['profile', 'show', '--workspace', 'acme', ana], core.db.url)).stdout).profile.id).toBe(ana);

    const unknown = await run(['profile', 'show', '--workspace', 'acme', 'email:nobody@example.org'], core.db.url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no profile is email:nobody@example.org/);
    expect((await run(['profile', 'show', '--workspace', 'other', ana], core.db.url)).code).toBe(1);
    const entries = (await core.app.get(AuditLogService).list(ws)).data;
    expect(entries.filter((e) => e.action === 'profile.read')).toHaveLength(2);
    expect(entries[0]).toMatchObject({ actor: { via: 'cli', label: expect.stringMatching(/^cli:/) }, target: { type: 'profile', id: ana } });
  });

  it('finds profiles by name', async () => {
    const found = await run(['profile', 'search', '--workspace', 'acme', '--name', 'silva'], core.db.url);
    expect(found.code).toBe(0);
    expect(found.stdout).toBe(`${ana}\tAna Silva\temail:ana@example.org\n`);
    expect((await run(['profile', 'search', '--workspace', 'acme', '--name', 'silva', '--limit', '0'], core.db.url)).code).toBe(1);
  });

  it('merges a profile into the survivor the operator picks; merge undo restores both', async () => {
    const merged = await run(['merge', 'profiles', '--workspace', 'acme', '--survivor', 'email:ana@example.org', bo], core.db.url);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    const [merge] = await core.app.get(MergesService).list(ws);
    expect(merge).toMatchObject({ winnerId: ana, loserId: bo, reason: { source: 'admin', linkedBy: [], actor: { via: 'cli' } } });
    expect(merged.stdout).toContain(`merged profile ${bo} into ${ana}: merge ${merge!.id}`);
    expect((await lookup('email', 'bo@example.org'))!.id).toBe(ana);
    const listed = await run(['merge', 'list', '--workspace', 'acme', '--profile', ana], core.db.url);
    expect(listed.stdout).toMatch(/by hand \(cli:/);

    const same = await run(['merge', 'profiles', '--workspace', 'acme', '--survivor', ana, bo], core.db.url);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/already/);

    const undone = await run(['merge', 'undo', '--workspace', 'acme', merge!.id], core.db.url);
    expect(undone.code).toBe(0);
    expect((await lookup('email', 'bo@example.org'))!.id).toBe(bo);
    expect((await core.app.get(ProfilesService).get(ws, bo)).traits).toMatchObject({ first_name: 'Bo', city: 'Porto' });
    expect((await core.app.get(ProfilesService).get(ws, ana)).identities.map((i) => i.value)).toEqual(['ana@example.org']);
  });

  it('exports a person as JSON, and erases one only with --yes', async () => {
    const exported = await run(['profile', 'export', '--workspace', 'acme', 'email:bo@example.org'], core.db.url);
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ profileId: bo, identities: [expect.objectContaining({ value: 'bo@example.org' })] });

    const unconfirmed = await run(['profile', 'erase', '--workspace', 'acme', bo], core.db.url);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    expect((await lookup('email', 'bo@example.org'))!.id).toBe(bo);

    const erased = await run(['profile', 'erase', '--workspace', 'acme', 'email:bo@example.org', '--yes'], core.db.url);
    expect(erased.code).toBe(0);
    expect(erased.stdout).toMatch(new RegExp(`^erased profile ${bo} \\(1 profiles with those merged into it\\): .*1 profiles`));
    expect(await lookup('email', 'bo@example.org')).toBeUndefined();
    const actions = (await core.app.get(AuditLogService).list(ws)).data.map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['profile.erase', 'profile.export']);
  });

  it('shows, updates and deletes a persona by key or id', async () => {
    const persona = await core.app.get(PersonasService).create(ws, { name: 'Lisbon locals', rules: [{ condition: { trait: 'city', op: 'eq', value: 'Lisbon' }, weight: 1 }] });
    const shown = await run(['persona', 'show', '--workspace', 'acme', 'lisbon-locals'], core.db.url);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: persona.id, size: 1 });

    const file = join(dir, 'persona.json');
    writeFileSync(file, JSON.stringify({ name: 'Anyone with a city', rules: [{ condition: { trait: 'city', op: 'exists' }, weight: 1 }] }));
    const updated = await run(['persona', 'update', '--workspace', 'acme', '--file', file, persona.id], core.db.url);
    expect(updated.stderr).toBe('');
    expect(updated.stdout).toBe(`updated persona Anyone with a city (${persona.id}), key lisbon-locals, minimum score 0.5: 1 profiles assigned\n`);
    writeFileSync(file, JSON.stringify({ name: 'Bad', rules: [{ condition: { trait: 'city', op: 'near' }, weight: 1 }] }));
    const invalid = await run(['persona', 'update', '--workspace', 'acme', '--file', file, 'lisbon-locals'], core.db.url);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/rules\.0\.condition\.op/);
    expect((await core.app.get(PersonasService).get(ws, persona.id)).name).toBe('Anyone with a city');

    const deleted = await run(['persona', 'delete', '--workspace', 'acme', 'lisbon-locals'], core.db.url);
    expect(deleted.stderr).toBe('');
    expect(deleted.stdout).toBe(`deleted persona Anyone with a city (${persona.id})\n`);
    expect(deleted.code).toBe(0);
    expect((await run(['persona', 'show', '--workspace', 'acme', persona.id], core.db.url)).code).toBe(1);
    const actions = (await core.app.get(AuditLogService).list(ws)).data.map((e) => e.action);
    expect(actions.slice(0, 2)).toEqual(['persona.delete', 'persona.update']);
  });
});
