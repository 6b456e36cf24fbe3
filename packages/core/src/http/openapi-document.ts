import type { INestApplication } from '@nestjs/common';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';
import { problemSchema } from './problem-responses.js';

type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];
type HeaderObject = NonNullable<NonNullable<OpenAPIObject['components']>['headers']>[string];
type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;

/**
 * Converts the zod schemas the routes validate with into JSON Schema 2020-12 — the schema dialect of
 * OpenAPI 3.1 — so that what is documented is exactly what is enforced. Schemas with a
 * `.meta({ id })` become named components.
 */
export function zodToOpenApi(schema: unknown, { schemaType }: { schemaType: 'input' | 'output' }) {
  if (!(schema instanceof z.ZodType)) return undefined;
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io: schemaType, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $defs, $schema: _dialect, ...root } = converted as { $defs?: Record<string, SchemaObject>; $schema?: string };
  return { schema: root, components: $defs ?? {} };
}

/** The header every response of every app carries (set by each app's onSend hook). */
export const REQUEST_ID_HEADER: HeaderObject = {
  description: "The id of this request: the caller's own `Request-Id` when sent, else a new UUID. Quote it when reporting a problem.",
  schema: { type: 'string' },
};

/**
 * The OpenAPI 3.1 description of an app's routes: the controllers of `include` (not /healthz, /readyz,
 * /metrics, which are for operators), schemas from their zod schemas, operation ids from the method
 * names, the Problem schema and the Request-Id header as components, and `headers` on every response
 * (`headersOf(operation, status)`, Request-Id first). An operation without security says so with an empty list.
 */
export function createOpenApiDocument(
  app: INestApplication,
  config: Omit<OpenAPIObject, 'paths'>,
  options: {
    include: NonNullable<Parameters<typeof SwaggerModule.createDocument>[2]>['include'];
    headers?: Record<string, HeaderObject>;
    headersOf?: (operation: OperationObject, status: string) => Record<string, { $ref: string }>;
  },
): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, config, {
    include: options.include,
    standardSchemaConverter: zodToOpenApi,
    operationIdFactory: (_controller, method) => method,
  });
  const problem = zodToOpenApi(problemSchema, { schemaType: 'output' })!;
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...problem.components },
    headers: { RequestId: REQUEST_ID_HEADER, ...options.headers },
  };
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (!operation) continue;
      if (!operation.security?.length) operation.security = [];
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!response || '$ref' in response) continue;
        response.headers = { 'Request-Id': { $ref: '#/components/headers/RequestId' }, ...options.headersOf?.(operation, status), ...response.headers };
      }
    }
  }
  return document;
}
