import type { Connector } from '@portrait/connector-sdk';
import { Cron } from 'croner';
import type { SourceConfigFieldError } from './sync.exception.js';

/** What a secret field reads as outside the engine. Sent back unchanged in an update, it keeps the stored secret. */
export const SECRET_MASK = '********';

type ConfigObject = Record<string, unknown>;

/** Field-level problems of a configuration against the connector's schema (empty when valid). */
export function configProblems(connector: Connector, config: unknown): SourceConfigFieldError[] {
  const parsed = connector.manifest.configSchema.safeParse(config);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || '(config)', message: issue.message }));
}

/** The configuration parsed by the connector's schema (defaults applied), as every connector call gets it. */
export function parseConfig(connector: Connector, config: unknown): unknown {
  return connector.manifest.configSchema.parse(config);
}

/**
 * The options of a segment's connection to a destination, parsed by its connector's
 * `destinationOptionsSchema` and checked against the source's parsed configuration
 * (`checkDestinationOptions`), or the problems, each a field of `options` (`options.audienceId`). A
 * connector without options takes only `{}`.
 */
export function parseDestinationOptions(
  connector: Connector,
  options: Record<string, unknown>,
  config: unknown,
): { ok: true; options: Record<string, unknown> } | { ok: false; problems: SourceConfigFieldError[] } {
  const schema = connector.manifest.destinationOptionsSchema;
  if (!schema) {
    const given = Object.keys(options);
    if (given.length === 0) return { ok: true, options: {} };
    return { ok: false, problems: given.map((key) => ({ field: `options.${key}`, message: `the ${connector.manifest.id} connector takes no options` })) };
  }
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => ({ field: ['options', ...issue.path.map(String)].join('.'), message: issue.message })) };
  }
  const problems = connector.checkDestinationOptions?.(parsed.data, config) ?? [];
  if (problems.length) return { ok: false, problems: problems.map((p) => ({ field: p.field ? `options.${p.field}` : 'options', message: p.message })) };
  return { ok: true, options: parsed.data };
}

/** Splits a configuration into what is stored in clear and the secret fields, which are sealed. */
export function splitSecrets(connector: Connector, config: ConfigObject): { plain: ConfigObject; secrets: ConfigObject } {
  const plain: ConfigObject = {};
  const secrets: ConfigObject = {};
  const secretFields = new Set(connector.manifest.secretFields);
  for (const [key, value] of Object.entries(config)) (secretFields.has(key) ? secrets : plain)[key] = value;
  return { plain, secrets };
}

/** The configuration as shown outside the engine: every secret field that is set reads as the mask. */
export function maskSecrets(connector: Connector, plain: ConfigObject, secrets: ConfigObject): ConfigObject {
  const masked: ConfigObject = { ...plain };
  for (const field of connector.manifest.secretFields) if (secrets[field] !== undefined) masked[field] = SECRET_MASK;
  return masked;
}

/**
 * The configuration of an update with its secrets filled in: a secret field sent as the mask, or left
 * out, keeps its stored value (a form never has the secret to send back); a new value replaces it.
 */
export function unmaskSecrets(connector: Connector, config: ConfigObject, stored: ConfigObject): ConfigObject {
  const result: ConfigObject = { ...config };
  for (const field of connector.manifest.secretFields) if (result[field] === SECRET_MASK || result[field] === undefined) result[field] = stored[field];
  for (const field of connector.manifest.secretFields) if (result[field] === undefined) delete result[field];
  return result;
}

/** A problem with a schedule, or undefined: 5-field cron, or 6 fields with seconds first. */
export function scheduleProblem(schedule: string): string | undefined {
  const fields = schedule.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return 'must be a cron expression of 5 fields (or 6 with seconds first), e.g. */15 * * * *';
  try {
    new Cron(schedule, { paused: true }).stop();
    return undefined;
  } catch (error) {
    return `is not a valid cron expression: ${(error as Error).message}`;
  }
}

export function isConfigObject(value: unknown): value is ConfigObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
