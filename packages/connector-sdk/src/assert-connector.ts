import type { Connector, ConnectorDefinition } from './connector.js';
import { ConnectorDefinitionError } from './connector.errors.js';
import { definitionProblems } from './manifest-validation.js';

/**
 * Checks that a loaded plugin module is a connector and returns it, for the engine's plugin registry.
 * `value` may be the module namespace (its default export or its `connector` named export is taken),
 * or the connector itself. A connector made by `defineConnector` — even with another copy of the SDK —
 * carries the brand; a plain object with the right shape is accepted too. Either way the definition is
 * validated again here, and a `ConnectorDefinitionError` naming `subject` lists every problem.
 */
export function assertConnector(value: unknown, subject: string): Connector {
  const candidate = pickExport(value);
  if (candidate === undefined) {
    throw new ConnectorDefinitionError(subject, [
      'exports no connector: expected a default export or a named export "connector" made with defineConnector()',
    ]);
  }
  const problems = definitionProblems(candidate);
  if (problems.length > 0) throw new ConnectorDefinitionError(subject, problems);
  const definition = candidate as ConnectorDefinition & { __portraitConnector?: unknown };
  if (definition.__portraitConnector === 1 && Object.isFrozen(definition)) return definition as Connector;
  return Object.freeze({ ...definition, __portraitConnector: 1 as const });
}

type Bag = Record<string, unknown>;

function isObject(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null;
}

function looksLikeConnector(value: unknown): boolean {
  return isObject(value) && (value.__portraitConnector === 1 || 'manifest' in value);
}

function pickExport(value: unknown): unknown {
  if (!isObject(value)) return undefined;
  if (looksLikeConnector(value)) return value;
  for (const key of ['default', 'connector']) {
    const exported = value[key];
    if (looksLikeConnector(exported)) return exported;
    // A CommonJS module imported from ESM nests its `module.exports.default` one level down.
    if (isObject(exported) && looksLikeConnector(exported.default)) return exported.default;
  }
  // Something is exported under the expected name but is not a connector: report its problems.
  return value.default ?? value.connector;
}
