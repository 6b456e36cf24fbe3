import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { validationProblem } from '@portrait/core/http';
import type { FastifyRequest } from 'fastify';

/** The opt-in read-your-writes header of the tracking routes: seconds to wait until the message is on the profile. */
export const WAIT_HEADER = 'Portrait-Wait';
/** The longest wait a caller may ask for, in seconds. */
export const MAX_WAIT_SECONDS = 30;

/** OpenAPI description of the header, shared by every tracking route. */
export const WAIT_HEADER_DOC = {
  name: WAIT_HEADER,
  required: false,
  description:
    `Wait up to this many seconds (0–${MAX_WAIT_SECONDS}, decimals allowed) until the messages are on the profile before answering. ` +
    'Answers 200 with `processed: true` when they are, 202 with `processed: false` when the wait ran out (the messages are stored all the same).',
  schema: { type: 'number', minimum: 0, maximum: MAX_WAIT_SECONDS },
} as const;

/** The `Portrait-Wait` header in milliseconds (0 when absent); a 400 naming the header when it is not 0–30 seconds. */
export const WaitFor = createParamDecorator((_: unknown, context: ExecutionContext): number => {
  const raw = context.switchToHttp().getRequest<FastifyRequest>().headers[WAIT_HEADER.toLowerCase()];
  if (raw === undefined || raw === '') return 0;
  const seconds = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(seconds >= 0 && seconds <= MAX_WAIT_SECONDS)) {
    throw validationProblem([{ field: `headers.${WAIT_HEADER.toLowerCase()}`, message: `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}` }]);
  }
  return Math.round(seconds * 1000);
});
