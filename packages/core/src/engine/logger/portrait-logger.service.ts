import { AsyncLocalStorage } from 'node:async_hooks';
import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { Level, Logger as Pino } from 'pino';
import type { HttpLogger } from 'pino-http';

/** The HTTP request logger (pino-http) of the app: its `logger` is the app's root pino logger. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/** The logger of the request being served: logs written while serving it carry its id. */
export const requestLogger = new AsyncLocalStorage<Pino>();

/**
 * Nest's logger, written through pino: `app.useLogger(app.get(PortraitLogger))`. Nest's `Logger`
 * calls arrive as `(message, ...params, context)`; an object message is merged into the line
 * (`logger.warn({ sourceId }, 'text')`), an Error becomes `err`.
 */
@Injectable()
export class PortraitLogger implements LoggerService {
  constructor(@Inject(HTTP_LOGGER) private readonly http: HttpLogger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const logger = requestLogger.getStore() ?? this.http.logger;
    // Nest passes the context (the logging class's name) last.
    const fields: Record<string, unknown> = params.length ? { context: params.at(-1) } : {};
    const rest = params.slice(0, -1);
    const args = rest as [];
    const stack = rest[0];
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, ...args);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message }, ...args);
    } else if (level === 'error' && typeof message === 'string' && rest.length === 1 && typeof stack === 'string' && /\n\s*at /.test(stack)) {
      // Nest's exception handlers call error(message, stack): one error with its stack.
      const err = new Error(message);
      err.stack = stack;
      logger.error({ ...fields, err });
    } else {
      logger[level](fields, String(message), ...args);
    }
  }
}
