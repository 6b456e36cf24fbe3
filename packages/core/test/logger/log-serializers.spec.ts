import { Writable } from 'node:stream';
import { createLogger } from '../../src/engine/logger/logger.js';
import { isDatabaseError, serializeError, serializeRequest } from '../../src/engine/logger/log-serializers.js';
import { createTestDatabase, type TestDatabase } from '../../src/testing/index.js';

/** Real PostgreSQL errors through the loggers' serializers: the values they failed on never come out. */
describe('log serializers', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  const failure = async (sql: string, params: unknown[]) => {
    try {
      await db.dataSource.query(sql, params);
    } catch (error) {
      return error as Error;
    }
    throw new Error('the statement did not fail');
  };

  it('a database error keeps its name, SQL state and constraint, not its message, parameters or detail', async () => {
    // PostgreSQL names the value in the message: invalid input syntax for type uuid: "ana@example.org".
    const syntax = await failure(`SELECT $1::uuid`, ['ana@example.org']);
    expect(syntax.message).toContain('ana@example.org');
    expect(isDatabaseError(syntax)).toBe(true);
    expect(JSON.stringify(serializeError(syntax))).not.toContain('ana@example.org');
    expect(serializeError(syntax)).toMatchObject({ type: 'QueryFailedError', sqlState: '22P02' });

    await db.dataSource.query(`CREATE TABLE log_probe_people (email text CONSTRAINT log_probe_people_email_key UNIQUE)`);
    await db.dataSource.query(`INSERT INTO log_probe_people VALUES ($1)`, ['bo@example.org']);
    const duplicate = await failure(`INSERT INTO log_probe_people VALUES ($1)`, ['bo@example.org']);
    const logged = serializeError(duplicate);
    expect(logged).toEqual({ type: 'QueryFailedError', code: '23505', sqlState: '23505', constraint: 'log_probe_people_email_key', table: 'log_probe_people', stack: expect.stringMatching(/^QueryFailedError\n\s+at /) });
  });

  it('every logger of the apps writes errors, wrapped in others or not, and requests that way', async () => {
    const error = await failure(`SELECT $1::int`, ['cy@example.org']);
    const out: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ logLevel: 'info', production: true }, 'test', sink);
    logger.error({ err: new Error('import failed', { cause: error }), error, req: { id: 'r-1', method: 'GET', url: '/v1/profiles/lookup?type=email&value=cy%40example.org', body: { email: 'cy@example.org' } } }, 'failed');
    const line = out.join('');
    expect(line).not.toContain('cy@example.org');
    expect(line).not.toContain('cy%40example.org');
    expect(JSON.parse(line)).toMatchObject({ err: { type: 'Error', message: 'import failed', cause: { type: 'QueryFailedError', sqlState: '22P02' } }, error: { sqlState: '22P02' }, req: { id: 'r-1', url: '/v1/profiles/lookup' } });
    expect(serializeRequest({ method: 'POST', url: '/v1/identify' })).toEqual({ id: undefined, method: 'POST', url: '/v1/identify' });
  });
});
