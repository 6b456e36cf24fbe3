import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IcpsService, IngestService, ProfilesService, WorkspacesService } from '@portrait/core';
import { createTestCore, type TestCore } from '@portrait/core/testing';
import { cliEnv, runCli } from './support/run-cli.js';

const run = (args: string[], databaseUrl: string) => runCli(args, cliEnv({ DATABASE_URL: databaseUrl }));
const at = '2026-01-10T00:00:00.000Z';

describe('portrait icp', () => {
  let core: TestCore;
  let ws: string;
  let dir: string;
  const software = { trait: 'industry', op: 'eq', value: 'software' };
  const icpFile = (name: string, body: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(body));
    return file;
  };

  beforeAll(async () => {
    core = await createTestCore();
    ws = (await core.app.get(WorkspacesService).create('b2b')).id;
    const ingest = core.app.get(IngestService);
    await ingest.ingest(
      ws,
      [
        ['acme.example', 'software', 300],
        ['beta.example', 'software', 20],
        ['gamma.example', 'retail', 80],
      ].map(([domain, industry, employees]) => ({ source: 'crm', externalId: String(domain), kind: 'account' as const, identities: [{ type: 'domain', value: String(domain) }], traits: { industry, employee_count: employees }, observedAt: at })),
    );
    await ingest.ingest(ws, [{ source: 'app', externalId: 'ana', identities: [{ type: 'email', value: 'ana@acme.example' }], traits: {}, account: { identities: [{ type: 'domain', value: 'acme.example' }] }, observedAt: at }]);
    dir = mkdtempSync(join(tmpdir(), 'portrait-icp-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await core?.close();
  });

  it('creates an ICP from a JSON file, scores the accounts, lists, shows and prints its score distribution', async () => {
    // Software (3) with 50 or more employees (1): acme 100, beta 75, gamma 25.
    const file = icpFile('icp.json', { name: 'Software mid-market', threshold: 80, criteria: [{ condition: software, weight: 3 }, { condition: { trait: 'employee_count', op: 'gte', value: 50 }, weight: 1 }] });
    const created = await run(['icp', 'create', '--workspace', 'b2b', '--file', file], core.db.url);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created ICP Software mid-market \([0-9a-f-]{36}\), key software-mid-market, threshold 80: 1 of 3 accounts qualified\n$/);
    const [icp] = (await core.app.get(IcpsService).list(ws)).data;
    const ana = await core.app.get(ProfilesService).findByIdentity(ws, 'email', 'ana@acme.example');
    expect([ana!.icpFit, ana!.icpQualified]).toEqual([100, true]);

    const listed = await run(['icp', 'list', '--workspace', 'b2b'], core.db.url);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toBe(`${icp!.id}\tsoftware-mid-market\tSoftware mid-market\t1/3 qualified\tthreshold 80\t2 criteria\n`);

    const shown = await run(['icp', 'show', 'software-mid-market', '--workspace', 'b2b'], core.db.url);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: icp!.id, key: 'software-mid-market', threshold: 80, accounts: 3, qualified: 1, criteria: [{ kind: 'account', condition: software, weight: 3 }, { weight: 1 }] });

    const scores = await run(['icp', 'scores', 'software-mid-market', '--workspace', 'b2b'], core.db.url);
    expect(scores.code).toBe(0);
    expect(scores.stdout).toBe(
      [
        'software-mid-market: 1 of 3 accounts qualified (threshold 80)',
        '  0-9  \t0',
        ' 10-19 \t0',
        ' 20-29 \t1',
        ' 30-39 \t0',
        ' 40-49 \t0',
        ' 50-59 \t0',
        ' 60-69 \t0',
        ' 70-79 \t1',
        ' 80-89 \t0',
        ' 90-100\t1',
        '',
      ].join('\n'),
    );
  });

  it('updates an ICP by its key from a file and deletes it, each written to the audit log', async () => {
    const file = icpFile('lower.json', { name: 'Software mid-market', threshold: 70, criteria: [{ condition: software, weight: 3 }, { condition: { trait: 'employee_count', op: 'gte', value: 50 }, weight: 1 }] });
    const updated = await run(['icp', 'update', 'software-mid-market', '--workspace', 'b2b', '--file', file], core.db.url);
    expect(updated.stderr).toBe('');
    expect(updated.stdout).toMatch(/^updated ICP Software mid-market \([0-9a-f-]{36}\), key software-mid-market, threshold 70: 2 of 3 accounts qualified\n$/);
    const [icp] = (await core.app.get(IcpsService).list(ws)).data;
    expect(icp).toMatchObject({ threshold: 70, version: 2, qualified: 2 });

    const deleted = await run(['icp', 'delete', icp!.id, '--workspace', 'b2b'], core.db.url);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`deleted ICP Software mid-market (${icp!.id})\n`);
    expect((await core.app.get(IcpsService).list(ws)).data).toEqual([]);
    expect((await core.app.get(ProfilesService).findByIdentity(ws, 'email', 'ana@acme.example'))!.icpFit).toBeNull();
    const log: { action: string; target_id: string }[] = await core.db.dataSource.query(
      `SELECT a.action, a.target_id FROM audit_log a WHERE a.workspace_id = $1 AND a.action LIKE 'icp.%' ORDER BY a.at, a.id`,
      [ws],
    );
    expect(log.map((e) => [e.action, e.target_id])).toEqual([
      ['icp.create', icp!.id],
      ['icp.update', icp!.id],
      ['icp.delete', icp!.id],
    ]);
  });

  it('refuses a missing file, an invalid ICP, an unknown ICP and an unknown workspace with clear lines', async () => {
    const missing = await run(['icp', 'create', '--workspace', 'b2b', '--file', join(dir, 'nope.json')], core.db.url);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no such file');
    const invalid = icpFile('invalid.json', { name: 'Bad', criteria: [{ kind: 'people', condition: { icp: 'other' }, weight: -1 }] });
    const refused = await run(['icp', 'create', '--workspace', 'b2b', '--file', invalid], core.db.url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'invalid ICP:\n  criteria.0.weight: must be greater than 0\n  criteria.0.minPeople: a people criterion needs minPeople\n  criteria.0.condition.icp: a criterion cannot refer to an ICP',
    );
    const unknown = await run(['icp', 'scores', 'nope', '--workspace', 'b2b'], core.db.url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ICP nope does not exist');
    const noWorkspace = await run(['icp', 'list', '--workspace', 'nope'], core.db.url);
    expect(noWorkspace.code).toBe(1);
    expect(noWorkspace.stderr).toContain('workspace "nope" does not exist');
    expect((await core.app.get(IcpsService).list(ws)).data).toEqual([]);
  });
});
