import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject } from '@nestjs/swagger';
import { createOpenApiDocument } from '@portrait/core/http';
import { AdminModule } from '../admin.module.js';
import { CSRF_HEADER, SESSION_COOKIE } from '../auth/session-cookie.js';

/** Where the document is served (without a session: it describes how to get one). */
export const ADMIN_OPENAPI_PATH = '/admin/api/openapi.json';

/** The OpenAPI 3.1 description of the management API, generated from the controllers and their zod schemas. */
export function buildAdminOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Portrait management API')
    .setDescription(
      [
        'Everything an administrator of a Portrait workspace does: sources and their runs, profiles (search, 360, export, erasure), segments and their preview, personas, merges by hand and undo,',
        'profile settings (identity rules, trait precedence, computed traits, with the backfill of existing profiles as a job), API keys, webhook subscriptions, members and roles, admin tokens, the audit log.',
        '',
        'Sign in with `POST /admin/api/session` (a browser keeps the session cookie; send the answered CSRF token in `X-CSRF-Token` with every',
        'mutating request), or send an admin token as `Authorization: Bearer pra_…` (created by owners; no CSRF token needed).',
        'Roles per workspace: `viewer` reads, `admin` also changes, `owner` also manages members, tokens and reads the audit log.',
        'Every response has a `Request-Id` header; errors are `application/problem+json` documents with a stable `code`.',
      ].join('\n'),
    )
    .setVersion('1.0.0')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    .addServer('/', 'This server')
    .addSecurity('session', { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The session cookie set by `POST /admin/api/session`' })
    .addSecurity('csrf', { type: 'apiKey', in: 'header', name: 'X-CSRF-Token', description: `The session's CSRF token (\`${CSRF_HEADER}\`), required with the cookie on mutating requests` })
    .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'An admin token (`pra_…`)' })
    .addTag('session', 'Sign in, who is signed in, sign out')
    .addTag('workspaces', 'The caller\'s workspaces; members and their roles')
    .addTag('admin tokens', 'Tokens for automation, acting as their creator')
    .addTag('sources', 'Installed connectors; sources, their connection check, schedule and syncs; runs, their live progress and dead letters')
    .addTag('profiles', 'People and accounts: search, the profile 360, events, trait history, data export and erasure')
    .addTag('segments', 'Segments: conditions, preview, members, size history, runs, destinations')
    .addTag('personas', 'Buyer personas: cards, weighted rules, sizes, members')
    .addTag('merges', 'The merge log of a profile, merging two profiles by hand, and undoing a merge')
    .addTag('audit log', 'Who changed or read what, when, from where')
    .addTag('settings', 'Profile settings: identity rules, trait source precedence, computed-trait definitions')
    .addTag('jobs', 'Jobs of the worker (the backfill after a settings change) and their progress')
    .addTag('api keys', 'Keys of the public API, with scopes; the key is shown once')
    .addTag('webhooks', 'Webhook subscriptions, their signing secret (shown once), the delivery log and redelivery')
    .build();
  return createOpenApiDocument(app, config, { include: [AdminModule] });
}
