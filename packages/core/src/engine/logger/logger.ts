import { pino, type Logger, type LoggerOptions } from 'pino';
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
];

/** pino options: JSON lines in production or when not on a terminal, pretty lines in a terminal. */
export function loggerOptions(config: Pick<PortraitConfig, 'logLevel' | 'production'>, name: string): LoggerOptions {
  const pretty = !config.production && process.stdout.isTTY;
  return {
    name,
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
}

export function createLogger(config: Pick<PortraitConfig, 'logLevel' | 'production'>, name: string): Logger {
  return pino(loggerOptions(config, name));
}
