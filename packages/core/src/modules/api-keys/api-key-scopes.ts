/**
 * What an API key may do. A route names the one scope it needs; a key carries a set of them.
 * Reading and writing are separate so that an analytics tag (events:write) cannot read profiles.
 */
export const API_KEY_SCOPES = [
  'profiles:read',
  'profiles:write',
  'events:write',
  'segments:read',
  'personas:read',
  'privacy:write',
  'webhooks:manage',
] as const;

export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export function isApiKeyScope(value: string): value is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}
