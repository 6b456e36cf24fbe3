import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';

type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];
import { ApiModule } from '../api.module.js';
import { problemSchema } from './problem-responses.js';

/**
 * Converts the zod schemas the routes validate with into JSON Schema 2020-12 — the schema dialect of
 * OpenAPI 3.1 — so that what is documented is exactly what is enforced. Schemas with a
 * `.meta({ id })` become named components.
 */
function zodToOpenApi(schema: unknown, { schemaType }: { schemaType: 'input' | 'output' }) {
  if (!(schema instanceof z.ZodType)) return undefined;
  const converted = z.toJSONSchema(schema, { target: 'draft-2020-12', io: schemaType, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $defs, $schema: _dialect, ...root } = converted as { $defs?: Record<string, SchemaObject>; $schema?: string };
  return { schema: root, components: $defs ?? {} };
}

/** The OpenAPI 3.1 description of the public API, generated from the controllers and their schemas. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Portrait public API')
    .setDescription(
      [
        'Read unified customer profiles and send events with a workspace API key.',
        '',
        'Authenticate with `Authorization: Bearer <key>`, or HTTP Basic with the key as user name and an empty password',
        '(as Segment libraries send their write key). Each key carries scopes and a rate limit (requests per minute, token bucket);',
        'over the limit the API answers 429 with `Retry-After`. Every response has a `Request-Id` header; errors are',
        '`application/problem+json` documents with a stable `code`.',
      ].join('\n'),
    )
    .setVersion('1.0.0')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'This server')
    .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'An API key (`prt_…`) as bearer token' })
    .addSecurity('basic', { type: 'http', scheme: 'basic', description: 'An API key (`prt_…`) as user name, empty password' })
    .addTag('profiles', 'Unified customer profiles: list, read, look up, events, traits')
    .addTag('privacy', 'GDPR access (export) and erasure')
    .addTag('tracking', 'Segment-compatible HTTP tracking API: identify, track, page, screen, group, alias, batch')
    .addTag('source webhooks', "Inbound webhooks of channels: no API key, verified by the source's connector")
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // The partner API only: /healthz, /readyz and /metrics are for operators and load balancers.
    include: [ApiModule],
    standardSchemaConverter: zodToOpenApi,
    operationIdFactory: (_controller, method) => method,
  });
  const problem = zodToOpenApi(problemSchema, { schemaType: 'output' })!;
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...problem.components },
    headers: {
      RequestId: { description: 'The id of this request: the caller\'s own `Request-Id` when sent, else a new UUID. Quote it when reporting a problem.', schema: { type: 'string' } },
      RateLimitLimit: { description: 'Requests per minute of the key', schema: { type: 'integer' } },
      RateLimitRemaining: { description: 'Requests the key may still make right now', schema: { type: 'integer' } },
    },
  };
  addCommonResponseHeaders(document);
  return document;
}

/**
 * Every response carries a Request-Id; every authenticated one the key's rate-limit state. An operation
 * without an API key (inbound channel webhooks, verified by signature) says so with an empty `security`.
 */
function addCommonResponseHeaders(document: OpenAPIObject): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item[method];
      if (operation && !operation.security?.length) operation.security = [];
      const keyed = Boolean(operation?.security?.length);
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        if (!response || '$ref' in response) continue;
        const authenticated = keyed && status !== '401';
        response.headers = {
          'Request-Id': { $ref: '#/components/headers/RequestId' },
          ...(authenticated ? { 'RateLimit-Limit': { $ref: '#/components/headers/RateLimitLimit' }, 'RateLimit-Remaining': { $ref: '#/components/headers/RateLimitRemaining' } } : {}),
          ...response.headers,
        };
      }
    }
  }
}

/** Serves the description at /openapi.json and a rendered reference (Swagger UI, assets served locally) at /docs. */
export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
    customSiteTitle: 'Portrait API reference',
    swaggerOptions: { persistAuthorization: false, tryItOutEnabled: false },
  });
}
