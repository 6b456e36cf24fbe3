import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createTestApi, type TestApi } from './support/test-api.js';

/**
 * Everything the API logs during a session of real calls — successes, 4xx refusals and calls that
 * fail inside PostgreSQL — read from the logger's output stream at the most verbose level: none of
 * the e-mails, phones or user ids sent appears in it, while the failures are logged with their
 * request id, route, error name and SQL state.
 */
describe('logs hold no personal data', () => {
  let api: TestApi;
  let ws: string;
  let key: string;
  const lines: string[] = [];
  const tag = randomUUID().slice(0, 8);
  // Values unique to this run, so that finding one in the logs can only mean it was logged.
  const secrets = {
    email: `logprobe-${tag}@example.org`,
    emailRaw: `  LogProbe-${tag}@Example.ORG `,
    phone: '+33 6 12 34 56 78',
    userId: `user-${tag}-secret`,
    failingUserId: `dbfail-${tag}-secret`,
    failingEmail: `dbfail-${tag}@example.org`,
    badEmail: `bad-${tag}@example.org`,
  };

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    api = await createTestApi({ env: { LOG_LEVEL: 'trace' }, logDestination: sink });
    ws = await api.workspace();
    key = await api.key(ws, ['events:write', 'profiles:read']);
    // A real database failure on demand: a check constraint refuses the records of one user id.
    await api.db.dataSource.query(`ALTER TABLE source_records ADD CONSTRAINT test_refuses_dbfail CHECK (external_id NOT LIKE 'user_id:dbfail-%')`);
  });
  afterAll(() => api?.close());

  const post = (path: string, body: unknown, headers?: Record<string, string>) => api.call(key, path, { method: 'POST', body, headers });

  it('logs a session of calls, database failures included, without the e-mails, phones and user ids sent', async () => {
    // Successes.
    expect((await post('/v1/identify', { userId: secrets.userId, traits: { email: secrets.emailRaw, phone: secrets.phone, firstName: 'Probe' } })).status).toBe(200);
    expect((await post('/v1/track', { userId: secrets.userId, event: 'Order Completed', properties: { order_id: `o-${tag}`, revenue: 10, email: secrets.email } })).status).toBe(200);
    await api.drained(ws);
    const found = await api.call(key, `/v1/profiles/lookup?type=email&value=${encodeURIComponent(secrets.email)}`);
    expect(found.status).toBe(200);

    // 4xx: a refused message, an unknown identifier, a body that is not JSON, an unknown key.
    expect((await post('/v1/identify', { traits: { email: secrets.badEmail } })).status).toBe(400);
    expect((await api.call(key, `/v1/profiles/lookup?type=email&value=${encodeURIComponent(secrets.badEmail)}`)).status).toBe(404);
    expect((await post('/v1/identify', `{"userId": "${secrets.userId}", "traits": {"email": "${secrets.badEmail}"`)).status).toBe(400);
    expect((await api.call('pk_wrong', '/v1/identify', { method: 'POST', body: { userId: secrets.userId } })).status).toBe(401);

    // Failures inside PostgreSQL: a check constraint violated by an ingest statement whose parameters
    // hold the e-mail and user id (the message is accepted into the intake log, then refused while it is
    // drained and dead-lettered); and a lookup value PostgreSQL cannot take as text (a NUL byte), refused before it.
    const failed = await post('/v1/identify', { userId: secrets.failingUserId, traits: { email: secrets.failingEmail } });
    expect(failed.status).toBe(200);
    await api.drained(ws);
    const [{ n: deadLettered }] = await api.db.dataSource.query(`SELECT count(*)::int AS n FROM intake_dead_letters WHERE workspace_id = $1`, [ws]);
    expect(deadLettered).toBe(1);
    const nul = await api.call(key, `/v1/profiles/lookup?type=email&value=${encodeURIComponent(`${secrets.failingEmail}\u0000`)}`);
    expect(nul.status).toBe(400);
    expect(await nul.json()).toMatchObject({ errors: [{ field: 'value', message: 'must not contain a NUL character' }] });

    await new Promise((resolve) => setTimeout(resolve, 200));
    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(10);
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, found: log.includes(value.trim()) || log.toLowerCase().includes(value.trim().toLowerCase()) }).toEqual({ name, found: false });
    }
    expect(log).not.toMatch(/"parameters"|"driverError"|"detail"/);
    expect(log).not.toContain('33612345678');

    // The database failure is logged by the intake processor, by workspace, error name and SQL state.
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const refusal = entries.find((e) => e.msg === 'an intake message the database refused was dead-lettered') as { workspaceId: string; err: Record<string, unknown> } | undefined;
    expect(refusal).toBeDefined();
    expect(refusal!.workspaceId).toBe(ws);
    expect(refusal!.err).toMatchObject({ type: 'QueryFailedError', sqlState: '23514', constraint: 'test_refuses_dbfail' });
    expect(refusal!.err.message).toBeUndefined();
  });
});
