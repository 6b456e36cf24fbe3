import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { createOpenApiDocument } from '@portrait/core/http';
import { ApiModule } from '../api.module.js';

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
  return createOpenApiDocument(app, config, {
    // The partner API only: /healthz, /readyz and /metrics are for operators and load balancers.
    include: [ApiModule],
    headers: {
      RateLimitLimit: { description: 'Requests per minute of the key', schema: { type: 'integer' } },
      RateLimitRemaining: { description: 'Requests the key may still make right now', schema: { type: 'integer' } },
    },
    // Every authenticated response carries the key's rate-limit state; an operation without an API key
    // (inbound channel webhooks, verified by signature) has an empty `security`.
    headersOf: (operation, status): Record<string, { $ref: string }> =>
      operation.security?.length && status !== '401'
        ? { 'RateLimit-Limit': { $ref: '#/components/headers/RateLimitLimit' }, 'RateLimit-Remaining': { $ref: '#/components/headers/RateLimitRemaining' } }
        : {},
  });
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
