/** The logger the engine hands a connector: pino-style, an object of fields and/or a message. */
export interface ConnectorLogger {
  debug(objOrMsg: Record<string, unknown> | string, msg?: string): void;
  info(objOrMsg: Record<string, unknown> | string, msg?: string): void;
  warn(objOrMsg: Record<string, unknown> | string, msg?: string): void;
  error(objOrMsg: Record<string, unknown> | string, msg?: string): void;
}

const noop = () => undefined;

/** A logger that drops everything (the default in tests). */
export const silentLogger: ConnectorLogger = { debug: noop, info: noop, warn: noop, error: noop };
