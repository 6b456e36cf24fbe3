import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { serializeError, serializeRequest, serializeResponse } from './log-serializers.js';
import type { PortraitConfig } from '../config/portrait-config.js';

/** Paths never written to a log: credentials, cookies, API keys, source secrets. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'config.*.secret',
  '*.password',
  '*.apiKey',
  '*.accessToken',
  '*.secretKey',
  // Bodies and SQL parameters, wherever a library puts them.
  'req.body',
  'request.body',
  '*.parameters',
  '*.driverError',
];

/**
 * Serializers of every logger of the apps: errors by name, code and frames (database errors by SQL
 * state and constraint, never their values), requests by method and path (see log-serializers.ts).
 */
export const LOG_SERIALIZERS = { err: serializeError, error: serializeError, req: serializeRequest, res: serializeResponse };

/**
 * pino options: JSON lines in production or when not on a terminal, pretty lines in a terminal.
 * `toStream`: the logs go to a stream of the caller's (JSON lines, never pretty).
 */
export function loggerOptions(config: Pick<PortraitConfig, 'logLevel' | 'production'>, name: string, toStream = false): LoggerOptions {
  const pretty = !toStream && !config.production && process.stdout.isTTY;
  return {
    name,
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: LOG_SERIALIZERS,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
}

/** The app's root logger; `destination`: where its lines go (stdout unless given). */
export function createLogger(config: Pick<PortraitConfig, 'logLevel' | 'production'>, name: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(config, name, true), destination) : pino(loggerOptions(config, name));
}
