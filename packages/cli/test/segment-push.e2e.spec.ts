import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtInConnectors } from '@portrait/connectors';
import { AuditLogService, IngestService, SegmentEditorService, SourcesService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

/** A destination plugin that keeps what it holds in a file, loaded by path by the core under test and by the CLI. */
const PLUGIN = join(dirname(fileURLToPath(import.meta.url)), 'support', 'file-destination.mjs');

const fact = (externalId: string, country: string, observedAt: string) => ({
  source: 'crm',
  externalId,
  identities: [{ type: 'email', value: `${externalId}@example.org` }],
  traits: { country },
  observedAt,
});

/** The destination's own state, as it keeps it: `{ held: { [segmentKey]: emails }, failures }`. */
const readState = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { held: Record<string, string[]>; failures: number };

describe('portrait segment destinations and push', () => {
  let core: TestCore;
  let dir: string;
  let stateFile: string;
  const run = (args: string[]) => runCli(args, cliEnv({ DATABASE_URL: core.db.url, PORTRAIT_PLUGINS: PLUGIN }));

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_PLUGINS: PLUGIN }, connectors: builtInConnectors });
    dir = mkdtempSync(join(tmpdir(), 'portrait-push-'));
    stateFile = join(dir, 'tags.json');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('shows what each destination is owed, retries failed pushes on demand and leaves the destination with the current members', async () => {
    const ws = (await core.app.get(WorkspacesService).create('demo')).id;
    const ingest = core.app.get(IngestService);
    await ingest.ingest(ws, [fact('ana', 'BR', '2026-01-01T00:00:00Z'), fact('bia', 'BR', '2026-01-01T00:00:00Z')]);
    const brazil = await core.app.get(SegmentEditorService).create(ws, { name: 'Brazil', key: 'brazil', condition: { trait: 'country', op: 'eq', value: 'BR' } });
    const source = await core.app.get(SourcesService).create(ws, { connectorId: 'file-tagger', name: 'Tags', config: { stateFile } });
    writeFileSync(stateFile, JSON.stringify({ held: {}, failures: 2 }));

    const connected = await run(['segment', 'connect', '--workspace', 'demo', 'brazil', '--source', source.id]);
    expect(connected).toMatchObject({ code: 0, stdout: `segment brazil now pushes to Tags (${source.id})\n` });
    const listed = await run(['segment', 'destinations', '--workspace', 'demo', 'brazil']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${source.id}\\tTags\\tfile-tagger\\tdefault options\\tnot pushed yet\\t2 pending since \\S+, next attempt \\S+\\n$`));

    const failed = await run(['segment', 'push', '--workspace', 'demo', 'brazil']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/\tlast push \S+: failed \(\+2 -0\): the tagging service is unavailable \(HTTP 503\)\t2 pending since \S+, next attempt \S+\t1 failed attempts\n$/);
    expect(readState(stateFile).held).toEqual({});

    // While it fails, Bia leaves the segment and Caio enters it.
    await ingest.ingest(ws, [fact('bia', 'AR', '2026-02-01T00:00:00Z'), fact('caio', 'BR', '2026-02-01T00:00:00Z')]);
    expect((await run(['segment', 'push', '--workspace', 'demo', 'brazil', '--destination', 'Tags'])).code).toBe(1);
    const recovered = await run(['segment', 'push', '--workspace', 'demo', brazil.id, '--destination', source.id]);
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toMatch(new RegExp(`^${source.id}\\tTags\\tfile-tagger\\tdefault options\\tlast push \\S+: succeeded \\(\\+2 -0, 2 synced, 0 skipped\\)\\tnothing pending\\n$`));
    expect(readState(stateFile).held).toEqual({ brazil: ['ana@example.org', 'caio@example.org'] });
    expect((await run(['segment', 'destinations', '--workspace', 'demo', 'brazil'])).stdout).toContain('\tnothing pending\n');

    const unknown = await run(['segment', 'push', '--workspace', 'demo', 'brazil', '--destination', 'Nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('"Nope" is not a destination of segment brazil');
    const actions = (await core.app.get(AuditLogService).list(ws)).data.map((e) => e.action);
    expect(actions.filter((a) => a === 'segment.destination.push')).toHaveLength(3);
  });
});
