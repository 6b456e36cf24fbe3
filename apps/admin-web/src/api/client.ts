import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './portrait-admin-api';

/** Schemas of the management API, as the served OpenAPI document names them. */
export type Schemas = components['schemas'];

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
let csrfToken: string | null = null;
let onSessionEnded: (() => void) | undefined;

/** The CSRF token of the signed-in session, sent in X-CSRF-Token with every mutating request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API answers 401 to a signed-in page: the session expired or was ended elsewhere. */
export function onUnauthenticated(handler: (() => void) | undefined): void {
  onSessionEnded = handler;
}

const session: Middleware = {
  onRequest({ request }) {
    if (!READS.has(request.method) && csrfToken) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
  onResponse({ response, request }) {
    // GET /admin/api/session answers 401 to a visitor who never signed in: RequireSession sends them to sign-in.
    if (response.status === 401 && new URL(request.url).pathname !== '/admin/api/session') onSessionEnded?.();
    return response;
  },
};

/** The typed management API client (types generated from GET /admin/api/openapi.json). */
export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(session);

/** A problem+json answer of the API. */
export interface Problem {
  status: number;
  title?: string;
  detail?: string;
  code?: string;
  errors?: { field: string; message: string }[];
}

/** An error carrying the API's problem, thrown by `must`. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
}

/** The data of an openapi-fetch answer, or an ApiError with its problem. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    const problem = (result.error ?? {}) as Partial<Problem>;
    throw new ApiError({ ...problem, status: result.response.status });
  }
  return result.data as T;
}
