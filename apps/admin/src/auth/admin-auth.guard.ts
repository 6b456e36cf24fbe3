import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AdminSessionsService, AdminTokensService, AdminUsersService, roleAtLeast, WorkspacesService, type AdminPrincipal, type AdminRole } from '@portrait/core';
import { ApiProblem } from '@portrait/core/http';
import type { AdminRequest, AdminWorkspace } from './admin-request.js';
import { PUBLIC_ROUTE, REQUIRED_ROLE } from './route-access.decorator.js';
import { CSRF_HEADER, readCookie, SESSION_COOKIE } from './session-cookie.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Guards every route under /admin/api/ (a route added later is guarded without saying so):
 * 1. who calls — an admin token (`Authorization: Bearer pra_…`) or a session cookie; 401 otherwise;
 * 2. a cookie session's mutating request carries the session's CSRF token in `X-CSRF-Token`; 403 otherwise
 *    (tokens are exempt: a browser never sends them on its own);
 * 3. on workspace-scoped routes, the caller is a member of `{workspace}` (slug or id; 404 otherwise, as
 *    for a workspace that does not exist) with the role the route needs (403 otherwise).
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly sessions: AdminSessionsService,
    private readonly tokens: AdminTokensService,
    private readonly users: AdminUsersService,
    private readonly workspaces: WorkspacesService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    // /healthz, /readyz and /metrics are for operators and load balancers.
    if (!(request.routeOptions?.url ?? request.url).startsWith('/admin/api/')) return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;

    const principal = await this.authenticate(request);
    request.admin = { principal, ip: request.ip };
    const slugOrId = (request.params as Record<string, string | undefined>).workspace;
    if (slugOrId !== undefined) {
      const needed = this.reflector.getAllAndOverride<AdminRole | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ?? (READS.has(request.method) ? 'viewer' : 'admin');
      request.admin.workspace = await this.workspaceOf(principal, slugOrId, needed);
    }
    return true;
  }

  private async authenticate(request: AdminRequest): Promise<AdminPrincipal> {
    const authorization = request.headers.authorization;
    if (authorization) {
      const [scheme, token] = authorization.split(' ');
      const principal = scheme?.toLowerCase() === 'bearer' && token ? await this.tokens.authenticate(token.trim()) : undefined;
      if (!principal) throw new ApiProblem(401, 'INVALID_ADMIN_TOKEN', 'the admin token is unknown or was revoked', { headers: { 'WWW-Authenticate': 'Bearer realm="portrait-admin"' } });
      return principal;
    }
    const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
    const principal = cookie ? await this.sessions.authenticate(cookie) : undefined;
    if (!principal) {
      throw new ApiProblem(401, 'UNAUTHENTICATED', cookie ? 'the session has ended: sign in again' : 'sign in (POST /admin/api/session) or send an admin token: `Authorization: Bearer <token>`', {
        headers: { 'WWW-Authenticate': 'Bearer realm="portrait-admin"' },
      });
    }
    const csrf = request.headers[CSRF_HEADER];
    if (!READS.has(request.method) && !this.sessions.checkCsrf(cookie!, typeof csrf === 'string' ? csrf : undefined)) {
      throw new ApiProblem(403, 'CSRF_TOKEN_INVALID', 'send the CSRF token of the session (from sign-in or GET /admin/api/session) in the X-CSRF-Token header');
    }
    return principal;
  }

  private async workspaceOf(principal: AdminPrincipal, slugOrId: string, needed: AdminRole): Promise<AdminWorkspace> {
    const workspace = UUID.test(slugOrId) ? await this.workspaces.getById(slugOrId).catch(() => null) : await this.workspaces.findBySlug(slugOrId);
    const role = workspace ? await this.users.roleIn(principal.userId, workspace.id) : undefined;
    // Not a member looks exactly like no such workspace: ids and slugs of others' workspaces stay unknown.
    if (!workspace || !role) throw new ApiProblem(404, 'WORKSPACE_NOT_FOUND', `workspace ${slugOrId} does not exist`);
    if (!roleAtLeast(role, needed)) throw new ApiProblem(403, 'ROLE_REQUIRED', `this needs the ${needed} role in workspace ${workspace.slug}; you are ${role}`);
    return { id: workspace.id, slug: workspace.slug, role };
  }
}
