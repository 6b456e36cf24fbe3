import { randomUUID } from 'node:crypto';
import { json, type SandboxReply } from '@portrait/testkit';

/**
 * Replies in the Marketing API's own forms: errors as problem documents
 * (`application/problem+json`: type, title, status, detail, instance), and the `fields` /
 * `exclude_fields` projections every GET takes (dotted paths: `members.id`, `total_items`).
 */

export const ERROR_DOC = 'https://mailchimp.com/developer/marketing/docs/errors/';

export function problem(status: number, title: string, detail: string): SandboxReply {
  return json({ type: ERROR_DOC, title, status, detail, instance: randomUUID() }, status, { 'content-type': 'application/problem+json; charset=utf-8' });
}

export const notFound = () => problem(404, 'Resource Not Found', 'The requested resource could not be found.');
export const invalidResource = (detail: string) => problem(400, 'Invalid Resource', detail);

/** The `fields` and `exclude_fields` parameters (comma-separated dotted paths) applied to a reply body. */
export function project(body: Record<string, unknown>, query: URLSearchParams): Record<string, unknown> {
  const fields = csv(query.get('fields'));
  const excluded = csv(query.get('exclude_fields'));
  let result = body;
  if (fields.length) result = pick(body, fields.map((f) => f.split('.'))) as Record<string, unknown>;
  for (const path of excluded) result = omit(result, path.split('.')) as Record<string, unknown>;
  return result;
}

function csv(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function pick(value: unknown, paths: string[][]): unknown {
  if (Array.isArray(value)) return value.map((item) => pick(item, paths));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const matching = paths.filter((p) => p[0] === key);
    if (!matching.length) continue;
    // A path ending here takes the whole value; longer ones select inside it.
    out[key] = matching.some((p) => p.length === 1) ? child : pick(child, matching.map((p) => p.slice(1)));
  }
  return out;
}

function omit(value: unknown, path: string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => omit(item, path));
  if (!value || typeof value !== 'object' || path.length === 0) return value;
  const [head, ...rest] = path;
  const out = { ...(value as Record<string, unknown>) };
  if (!(head! in out)) return out;
  if (rest.length === 0) delete out[head!];
  else out[head!] = omit(out[head!], rest);
  return out;
}
