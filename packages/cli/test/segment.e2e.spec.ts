import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtInConnectors } from '@portrait/connectors';
import { AuditLogService, IngestService, MergesService, ProfilesService, SegmentsService, SourcesService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));

const fact = (externalId: string, identities: [string, string][], traits: Record<string, unknown> = {}, source = 'crm') => ({
  source,
  externalId,
  identities: identities.map(([type, value]) => ({ type, value })),
  traits,
  observedAt: '2026-01-10T00:00:00.000Z',
});

describe('portrait segment and merge', () => {
  let core: TestCore;
  let ws: string;
  let dir: string;
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };

  beforeAll(async () => {
    core = await createTestCore({ connectors: builtInConnectors });
    ws = (await core.app.get(WorkspacesService).create('acme')).id;
    await core.app.get(WorkspacesService).create('other');
    dir = mkdtempSync(join(tmpdir(), 'portrait-segment-'));
    const ingest = core.app.get(IngestService);
    await ingest.ingest(ws, [fact('a', [['email', 'ana@example.org']], { country: 'BR' }), fact('b', [['email', 'bia@example.org']], { country: 'BR' }), fact('ga', [['ga_client_id', 'GA.1']], {}, 'ga')]);
    await ingest.ingest(ws, [fact('login', [['email', 'ana@example.org'], ['ga_client_id', 'GA.1']], {}, 'api')]);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('creates a segment from a file with its members computed, lists it with its member count, previews a condition', async () => {
    const segment = file('brazil.json', { name: 'Brazil', condition: { trait: 'country', op: 'eq', value: 'BR' } });
    const created = await run(['segment', 'create', '--workspace', 'acme', '--file', segment], core.db.url);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created segment Brazil \([0-9a-f-]{36}\), key brazil: 2 members$/m);
    const listed = await run(['segment', 'list', '--workspace', 'acme'], core.db.url);
    expect(listed.stdout).toMatch(/^[0-9a-f-]{36}\tbrazil\tBrazil\t2 members\tcomputed \d{4}-/m);
    const [stored] = (await core.app.get(SegmentsService).list(ws)).data;
    expect(stored).toMatchObject({ name: 'Brazil', size: 2 });

    const preview = await run(['segment', 'preview', '--workspace', 'acme', '--file', file('ga.json', { condition: { identity: 'ga_client_id', op: 'exists' } })], core.db.url);
    expect(preview.code).toBe(0);
    expect(preview.stdout.split('\n')[0]).toBe('1 profiles match');
    expect((await core.app.get(AuditLogService).list(ws)).data.map((e) => e.action)).toEqual(['segment.preview', 'segment.create']);
  });

  it('refuses an invalid condition field by field, a file that is not JSON, and stores nothing', async () => {
    const invalid = await run(['segment', 'create', '--workspace', 'acme', '--file', file('bad.json', { name: 'Bad', condition: { trait: 'country', op: 'near', value: 'BR' } })], core.db.url);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('invalid segment:');
    expect(invalid.stderr).toContain('condition.op:');
    const notJson = await run(['segment', 'create', '--workspace', 'acme', '--file', file('broken.json', '{"name": ')], core.db.url);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('is not JSON');
    const noName = await run(['segment', 'create', '--workspace', 'acme', '--file', file('noname.json', { condition: {} })], core.db.url);
    expect(noName.stderr).toContain('name must be a non-empty string');
    const missing = await run(['segment', 'preview', '--workspace', 'acme', '--file', join(dir, 'missing.json')], core.db.url);
    expect(missing.stderr).toContain('no such file');
    expect((await core.app.get(SegmentsService).list(ws)).data).toHaveLength(1);
  });

  it('lists a segment\'s runs and destinations; refuses a source that cannot receive segments', async () => {
    const runs = await run(['segment', 'runs', '--workspace', 'acme', 'brazil'], core.db.url);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(/^\d{4}-\S+\tfull\t\d+ ms\tsize 2\t\+2\t-0\n$/);
    const csv = await core.app.get(SourcesService).create(ws, { connectorId: 'csv', name: 'People', config: { directory: dir, mapping: { identities: { 'E-mail': 'email' } } }, enabled: false });
    const refused = await run(['segment', 'connect', '--workspace', 'acme', 'brazil', '--source', csv.id], core.db.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('sourceId: the csv connector does not receive segments');
    const listed = await run(['segment', 'destinations', '--workspace', 'acme', 'brazil'], core.db.url);
    expect({ code: listed.code, stdout: listed.stdout }).toEqual({ code: 0, stdout: '' });
    const notConnected = await run(['segment', 'disconnect', '--workspace', 'acme', 'brazil', '--source', csv.id], core.db.url);
    expect(notConnected.code).toBe(1);
    expect(notConnected.stderr).toContain('is not a destination of segment');
    expect((await run(['segment', 'runs', '--workspace', 'other', 'brazil'], core.db.url)).code).toBe(1);
  });

  it('lists the merges of a profile and undoes one; a second undo and another workspace are refused', async () => {
    const ana = (await core.app.get(ProfilesService).findByIdentity(ws, 'email', 'ana@example.org'))!.id;
    const listed = await run(['merge', 'list', '--workspace', 'acme', '--profile', ana], core.db.url);
    expect(listed.code).toBe(0);
    const [merge] = await core.app.get(MergesService).list(ws);
    expect(listed.stdout).toMatch(new RegExp(`^${merge!.id}\\t\\S+\\t${merge!.loserId} into ${ana}\\tby ga_client_id=GA.1\\tactive$`, 'm'));

    const elsewhere = await run(['merge', 'undo', '--workspace', 'other', merge!.id], core.db.url);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`merge ${merge!.id} does not exist`);
    expect((await core.app.get(MergesService).list(ws))[0]!.undoneAt).toBeNull();

    const undone = await run(['merge', 'undo', '--workspace', 'acme', merge!.id], core.db.url);
    expect(undone.code).toBe(0);
    expect(undone.stdout).toContain(`profile ${merge!.loserId} lives again beside ${ana}`);
    const again = await run(['merge', 'undo', '--workspace', 'acme', merge!.id], core.db.url);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already undone');
    expect((await run(['merge', 'list', '--workspace', 'acme', '--profile', ana], core.db.url)).stdout).toMatch(/\tundone \d{4}-/);
    const unknownProfile = await run(['merge', 'list', '--workspace', 'other', '--profile', ana], core.db.url);
    expect(unknownProfile.stderr).toContain('does not exist in workspace other');
  });
});
