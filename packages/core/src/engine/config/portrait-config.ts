import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const postgresUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname.length > 0;
    } catch {
      return false;
    }
  }, 'must be a postgres:// or postgresql:// URL with a host, e.g. postgres://user:pass@127.0.0.1:5432/portrait');

const redisUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379');

const port = (fallback: number) =>
  z.coerce.number().int('must be a whole number').min(1, 'must be a port between 1 and 65535').max(65535, 'must be a port between 1 and 65535').default(fallback);

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** Every environment variable Portrait reads. Nothing else in the code base reads process.env. */
export const portraitEnvSchema = z.object({
  DATABASE_URL: z.preprocess(emptyToUndefined, postgresUrl.optional()),
  DATABASE_POOL_SIZE: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(200).default(10)),
  REDIS_URL: z.preprocess(emptyToUndefined, redisUrl.optional()),
  PORTRAIT_SECRET_KEY: z.preprocess(
    emptyToUndefined,
    z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
  ),
  /** Keys that sealed secrets before the current PORTRAIT_SECRET_KEY (comma-separated): still opened, never used to seal. */
  PORTRAIT_SECRET_KEYS_PREVIOUS: z.preprocess(emptyToUndefined, z.string().optional()),
  /** Connector packages to load besides the built-in ones (comma-separated package names). */
  PORTRAIT_PLUGINS: z.preprocess(emptyToUndefined, z.string().optional()),
  PORTRAIT_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('.portrait')),
  ADMIN_PORT: z.preprocess(emptyToUndefined, port(3000)),
  API_PORT: z.preprocess(emptyToUndefined, port(4000)),
  WORKER_PORT: z.preprocess(emptyToUndefined, port(4100)),
  PORTRAIT_HOST: z.preprocess(emptyToUndefined, z.string().default('127.0.0.1')),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info')),
  NODE_ENV: z.preprocess(emptyToUndefined, z.string().default('development')),
  PORTRAIT_DEMO: z.preprocess(emptyToUndefined, z.enum(['0', '1']).default('1')),
  PORTRAIT_WEBHOOK_RATE_LIMIT: z.preprocess(emptyToUndefined, z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').default(6000)),
});

export type PortraitEnv = z.infer<typeof portraitEnvSchema>;

export interface PortraitConfig {
  /** A real PostgreSQL when set; otherwise Portrait runs on its embedded PostgreSQL. */
  databaseUrl?: string;
  databasePoolSize: number;
  redisUrl?: string;
  secretKey?: string;
  /** Earlier secret keys, to open what they sealed after a key rotation. */
  previousSecretKeys: string[];
  /** Connector packages loaded at start-up, by package name. */
  plugins: string[];
  dataDir: string;
  adminPort: number;
  apiPort: number;
  workerPort: number;
  /** Interface the HTTP apps listen on (127.0.0.1 by default; 0.0.0.0 in a container). */
  host: string;
  logLevel: (typeof LOG_LEVELS)[number];
  production: boolean;
  demo: boolean;
  /** Channel webhooks accepted per source per minute (they carry no API key to count against). */
  webhookRateLimitPerMinute: number;
}

/** Thrown when the environment does not describe a valid configuration; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable} ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration once. Values are never echoed back in errors:
 * a DATABASE_URL or a secret key may hold credentials.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): PortraitConfig {
  const parsed = portraitEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? 'environment'), message: issue.message })),
    );
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    secretKey: e.PORTRAIT_SECRET_KEY,
    previousSecretKeys: splitList(e.PORTRAIT_SECRET_KEYS_PREVIOUS),
    plugins: splitList(e.PORTRAIT_PLUGINS),
    dataDir: e.PORTRAIT_DATA_DIR,
    adminPort: e.ADMIN_PORT,
    apiPort: e.API_PORT,
    workerPort: e.WORKER_PORT,
    host: e.PORTRAIT_HOST,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === 'production',
    demo: e.PORTRAIT_DEMO === '1',
    webhookRateLimitPerMinute: e.PORTRAIT_WEBHOOK_RATE_LIMIT,
  };
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export const PORTRAIT_CONFIG = Symbol('PORTRAIT_CONFIG');
