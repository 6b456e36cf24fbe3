import type { Logger } from '@nestjs/common';
import type { ConnectorLogger } from '@portrait/connector-sdk';

/**
 * The engine's logger as a connector sees it (pino-style calls), tagged with the source and run.
 * `onWarning` also gets the message of every warning (not the fields logged with it), for the run's record.
 */
export function connectorLogger(logger: Logger, tags: Record<string, unknown>, onWarning?: (message: string) => void): ConnectorLogger {
  const write = (level: 'debug' | 'log' | 'warn' | 'error') => (objOrMsg: Record<string, unknown> | string, msg?: string) => {
    if (level === 'warn') onWarning?.(typeof objOrMsg === 'string' ? objOrMsg : (msg ?? ''));
    if (typeof objOrMsg === 'string') logger[level]({ ...tags, msg: objOrMsg });
    else logger[level]({ ...tags, ...objOrMsg, msg: msg ?? '' });
  };
  return { debug: write('debug'), info: write('log'), warn: write('warn'), error: write('error') };
}
