import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { PortraitLogger, requestLogger } from './portrait-logger.service.js';

/** A PortraitLogger writing JSON lines into an array. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const http = pinoHttp<IncomingMessage, ServerResponse, never>({ logger: pino({ level: 'trace' }, sink) });
  return { lines, http, logger: new PortraitLogger(http) };
}

describe('PortraitLogger', () => {
  it('writes Nest calls as pino lines: the context last, an object merged, an Error as err', () => {
    const { lines, logger } = capture();
    logger.log('plain message', 'SyncRunner');
    logger.warn({ sourceId: 's-1', rows: 3 }, 'a destination skipped members', 'SegmentPush');
    logger.error(new Error('boom'), 'Scheduler');
    logger.verbose('fine detail');
    expect(lines.map(({ level, msg, context }) => ({ level, msg, context }))).toEqual([
      { level: 30, msg: 'plain message', context: 'SyncRunner' },
      { level: 40, msg: 'a destination skipped members', context: 'SegmentPush' },
      { level: 50, msg: 'boom', context: 'Scheduler' },
      { level: 10, msg: 'fine detail', context: undefined },
    ]);
    expect(lines[1]).toMatchObject({ sourceId: 's-1', rows: 3 });
    expect(lines[2]!.err).toMatchObject({ type: 'Error', message: 'boom' });
  });

  it("keeps the stack of Nest's exception handlers' error(message, stack) as one error", () => {
    const { lines, logger } = capture();
    const stack = 'Error: query failed\n    at Runner.run (runner.js:1:1)';
    logger.error('query failed', stack, 'ExceptionsHandler');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { message: 'query failed', stack } });
  });

  it('writes through the logger of the request being served', () => {
    const { lines, http, logger } = capture();
    requestLogger.run(http.logger.child({ req: { id: 'req-42' } }), () => logger.log('inside a request', 'ProfilesController'));
    logger.log('outside', 'ProfilesController');
    expect(lines[0]).toMatchObject({ msg: 'inside a request', req: { id: 'req-42' } });
    expect(lines[1]!.req).toBeUndefined();
  });
});
