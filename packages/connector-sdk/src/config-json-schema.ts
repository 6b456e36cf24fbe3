import { z } from 'zod';
import type { ConnectorManifest } from './connector.js';

/** A JSON Schema document (draft 2020-12) as produced by zod. */
export type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of a connector's configuration, for the admin's source form: the input shape
 * (fields with defaults are optional), with every secret field marked `"writeOnly": true` and
 * `"format": "password"` so the form masks it and the API never echoes it back.
 */
export function configJsonSchema(manifest: Pick<ConnectorManifest, 'configSchema' | 'secretFields'>): JsonSchema {
  const schema = z.toJSONSchema(manifest.configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    for (const field of manifest.secretFields) {
      const property = properties[field];
      if (property) properties[field] = { ...property, writeOnly: true, format: 'password' };
    }
  }
  return schema;
}
