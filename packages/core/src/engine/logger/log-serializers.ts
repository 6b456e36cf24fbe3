/**
 * What of an error or a request may reach a log. Personal data must not: a database error carries
 * the statement's parameters (`parameters`, `driverError`), the row that failed (`detail`) and often
 * the offending value in its message (`invalid input syntax for type uuid: "ana@example.org"`);
 * a request carries its body and its query string. So errors are logged by name, code and stack
 * frames — database errors with their SQL state, constraint, table and column instead of their
 * message — and requests by method, path and route.
 */

/** A serialized error: what the logs may hold of it. */
export interface LoggedError {
  type: string;
  message?: string;
  code?: string;
  /** Database errors: the SQL state and where it failed, never the values. */
  sqlState?: string;
  constraint?: string;
  table?: string;
  column?: string;
  stack?: string;
  cause?: LoggedError;
}

/** Errors raised by PostgreSQL (pg's DatabaseError, or TypeORM's QueryFailedError wrapping one). */
export function isDatabaseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { driverError?: unknown; severity?: unknown; code?: unknown; parameters?: unknown; query?: unknown };
  return (
    error.name === 'QueryFailedError' ||
    error.name === 'DatabaseError' ||
    e.driverError !== undefined ||
    e.parameters !== undefined ||
    (typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code))
  );
}

/** The error as it may be logged (the `err` and `error` keys of every log line). */
export function serializeError(error: unknown, depth = 0): LoggedError | unknown {
  // pino-http hands over pino's own serialization of the error, the error itself as `raw`.
  const raw = typeof error === 'object' && error !== null ? (error as { raw?: unknown }).raw : undefined;
  if (!(error instanceof Error) && raw instanceof Error) return serializeError(raw, depth);
  if (!(error instanceof Error)) {
    // Plain objects from other libraries may hold the same fields (a rejected query's `parameters`).
    if (typeof error === 'object' && error !== null) return serializeError(Object.assign(new Error(''), { name: 'NonError' }, error), depth);
    return error;
  }
  const e = error as Error & Record<string, unknown>;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  const driver = (typeof e.driverError === 'object' && e.driverError !== null ? e.driverError : e) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
  if (isDatabaseError(error)) {
    const out: LoggedError = { type: error.name, code: text(driver.code) };
    const sqlState = text(driver.code);
    if (sqlState) out.sqlState = sqlState;
    for (const key of ['constraint', 'table', 'column'] as const) if (text(driver[key])) out[key] = text(driver[key]);
    // The first stack line repeats the message: only the frames are kept.
    if (frames.length) out.stack = [error.name, ...frames].join('\n');
    return out;
  }
  const out: LoggedError = { type: error.name, message: error.message };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = String(e.code);
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1) as LoggedError;
  return out;
}

/** A request as it may be logged: id, method, path (without its query string) and route. No body, no query, no headers. */
export function serializeRequest(req: { id?: unknown; method?: unknown; url?: unknown; raw?: { routeOptions?: { url?: string } } }): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url.split('?')[0] : undefined;
  return { id: req.id, method: req.method, url };
}

/** A response as it may be logged: its status. */
export function serializeResponse(res: { statusCode?: unknown }): Record<string, unknown> {
  return { statusCode: res.statusCode };
}
