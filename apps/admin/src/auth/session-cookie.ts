import type { FastifyRequest } from 'fastify';

/** The cookie holding the session id of a signed-in browser. */
export const SESSION_COOKIE = 'portrait_session';
/** The header carrying the session's CSRF token on every mutating request of a cookie session. */
export const CSRF_HEADER = 'x-csrf-token';

/** One cookie's value from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}

/** Whether the request came over TLS, directly or through a proxy that says so (`X-Forwarded-Proto: https`). */
export function cameOverTls(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/**
 * The session cookie: httpOnly (scripts never see it), SameSite=Lax (not sent on cross-site
 * sub-requests or form posts), Secure when the request came over TLS, for the whole site (the web UI
 * at / calls /admin/api), ending with the session.
 */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSeconds: number }): string {
  return [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${options.maxAgeSeconds}`, ...(options.secure ? ['Secure'] : [])].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0', ...(secure ? ['Secure'] : [])].join('; ');
}
