import { z } from 'zod';
import type { ConnectorDefinition, ConnectorManifest } from './connector.js';
import { cronExpressionProblem } from './cron-expression.js';

/**
 * What a connector manifest must satisfy, checked by `defineConnector` when a plugin is written and by
 * `assertConnector` when the engine loads one, so that a malformed plugin fails at load time with
 * every problem listed instead of half-way through a sync.
 */

/** Connector id: lower case, starts with a letter, dashes allowed: `shopify`, `acme-crm`. */
export const CONNECTOR_ID = /^[a-z][a-z0-9-]*$/;
/** Stream name: lower snake case: `customers`, `order_lines`. */
export const STREAM_NAME = /^[a-z][a-z0-9_]*$/;
/** Semantic version (semver.org 2.0.0). */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface ZodInternals {
  _zod?: { def?: { type?: string; shape?: Record<string, unknown>; in?: unknown; innerType?: unknown } };
}

/** True for a zod 4 schema, including one made by another copy of zod (checked by shape). */
export function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParse?: unknown }).safeParse === 'function' &&
    typeof (value as ZodInternals)._zod?.def === 'object'
  );
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'readonly', 'nonoptional', 'catch']);

/**
 * The top-level keys of a config schema that is a `z.object` (seen through `.transform()`, `.default()`
 * and similar wrappers), or `undefined` when the schema is not an object schema.
 */
export function configSchemaKeys(schema: unknown): string[] | undefined {
  let current = schema as ZodInternals | undefined;
  for (let depth = 0; depth < 16 && current; depth++) {
    const def = current._zod?.def;
    if (!def) return undefined;
    if (def.type === 'object') return Object.keys(def.shape ?? {});
    if (def.type === 'pipe') current = def.in as ZodInternals;
    else if (def.type && WRAPPERS.has(def.type)) current = def.innerType as ZodInternals;
    else return undefined;
  }
  return undefined;
}

const streamSchema = z
  .object({
    name: z.string().regex(STREAM_NAME, 'must be lower snake case, e.g. customers'),
    description: z.string().optional(),
    primaryKey: z.array(z.string().min(1, 'must not be empty')).min(1, 'must name at least one field'),
    cursorField: z.string().min(1, 'must not be empty').optional(),
    syncModes: z.array(z.enum(['full', 'incremental'])).min(1, 'must list at least one sync mode'),
  })
  .superRefine((stream, ctx) => {
    if (stream.syncModes.includes('incremental') && !stream.cursorField) {
      ctx.addIssue({ code: 'custom', path: ['cursorField'], message: 'an incremental stream needs a cursorField' });
    }
    if (new Set(stream.syncModes).size !== stream.syncModes.length) {
      ctx.addIssue({ code: 'custom', path: ['syncModes'], message: 'lists a sync mode twice' });
    }
  });

export const connectorManifestSchema = z
  .object({
    id: z.string().regex(CONNECTOR_ID, 'must be lower case letters, digits and dashes, starting with a letter (e.g. acme-crm)'),
    name: z.string().trim().min(1, 'must not be empty'),
    version: z.string().regex(SEMVER, 'must be a semantic version, e.g. 1.0.0'),
    description: z.string(),
    icon: z.string().optional(),
    kind: z.enum(['source', 'destination', 'both']),
    configSchema: z.custom<z.ZodType>(isZodSchema, 'must be a zod 4 schema'),
    destinationOptionsSchema: z.custom<z.ZodType>(isZodSchema, 'must be a zod 4 schema').optional(),
    secretFields: z.array(z.string().min(1, 'must not be empty')),
    streams: z.array(streamSchema),
    defaultSchedule: z.string().superRefine((value, ctx) => {
      const problem = cronExpressionProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `must be a 5-field cron expression: ${problem}` });
    }),
    capabilities: z.object({
      webhooks: z.boolean().optional(),
      destination: z.boolean().optional(),
      destinationConsent: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a consent purpose in lower snake case, e.g. email_marketing').optional(),
    }),
  })
  .superRefine((manifest, ctx) => {
    if (manifest.kind !== 'destination' && manifest.streams.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['streams'], message: 'a source must declare at least one stream' });
    }
    const seen = new Set<string>();
    manifest.streams.forEach((stream, index) => {
      if (seen.has(stream.name)) ctx.addIssue({ code: 'custom', path: ['streams', index, 'name'], message: `"${stream.name}" is declared twice` });
      seen.add(stream.name);
    });
    const destination = manifest.kind === 'destination' || manifest.kind === 'both';
    if (destination !== Boolean(manifest.capabilities.destination)) {
      ctx.addIssue({
        code: 'custom',
        path: ['capabilities', 'destination'],
        message: destination ? `must be true for a connector of kind "${manifest.kind}"` : 'is true but the kind is "source"',
      });
    }
    if (manifest.destinationOptionsSchema && !manifest.capabilities.destination) {
      ctx.addIssue({ code: 'custom', path: ['destinationOptionsSchema'], message: 'is given but the connector does not receive segments (capabilities.destination)' });
    }
    const keys = configSchemaKeys(manifest.configSchema);
    if (keys) {
      manifest.secretFields.forEach((field, index) => {
        if (!keys.includes(field)) {
          ctx.addIssue({ code: 'custom', path: ['secretFields', index], message: `"${field}" is not a top-level field of configSchema` });
        }
      });
    }
  });

/** Every problem of a manifest, as `path: message` lines; empty when it is valid. */
export function manifestProblems(manifest: unknown): string[] {
  const parsed = connectorManifestSchema.safeParse(manifest);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => `${['manifest', ...issue.path.map(String)].join('.')}: ${issue.message}`);
}

/** Every problem of a connector definition: its manifest's, plus the functions its capabilities promise. */
export function definitionProblems(definition: unknown): string[] {
  if (typeof definition !== 'object' || definition === null) return ['must be an object with a manifest, check and read'];
  const candidate = definition as Partial<Record<keyof ConnectorDefinition, unknown>>;
  if (typeof candidate.manifest !== 'object' || candidate.manifest === null) return ['manifest: is missing'];
  const problems = manifestProblems(candidate.manifest);
  const manifest = candidate.manifest as Partial<ConnectorManifest>;
  if (typeof candidate.check !== 'function') problems.push('check: must be a function');
  if (typeof candidate.read !== 'function') problems.push('read: must be a function');
  if (manifest.capabilities?.webhooks && typeof candidate.parseWebhook !== 'function') {
    problems.push('parseWebhook: must be a function when capabilities.webhooks is true');
  }
  if (manifest.capabilities?.destination && typeof candidate.syncSegment !== 'function') {
    problems.push('syncSegment: must be a function when capabilities.destination is true');
  }
  if (candidate.checkDestinationOptions !== undefined && typeof candidate.checkDestinationOptions !== 'function') {
    problems.push('checkDestinationOptions: must be a function');
  }
  if (candidate.checkDestinationOptions !== undefined && !manifest.destinationOptionsSchema) {
    problems.push('checkDestinationOptions: needs manifest.destinationOptionsSchema');
  }
  return problems;
}
