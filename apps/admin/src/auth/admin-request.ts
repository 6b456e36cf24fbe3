import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AdminPrincipal, AdminRole } from '@portrait/core';
import type { FastifyRequest } from 'fastify';

/** The workspace of a workspace-scoped route (`{workspace}` in the path), with the caller's role in it. */
export interface AdminWorkspace {
  id: string;
  slug: string;
  role: AdminRole;
}

/** What the guard learnt about the caller of a `/admin/api/*` route. */
export interface AdminContext {
  principal: AdminPrincipal;
  /** The client address (the first X-Forwarded-For hop behind a proxy). */
  ip: string;
  workspace?: AdminWorkspace;
}

export type AdminRequest = FastifyRequest & { admin?: AdminContext };

/** The authenticated caller of the route. */
export const Caller = createParamDecorator((_: unknown, context: ExecutionContext): AdminContext => {
  return context.switchToHttp().getRequest<AdminRequest>().admin!;
});

/** The workspace of a workspace-scoped route, once the guard found the caller a member with the role the route needs. */
export const CurrentWorkspace = createParamDecorator((_: unknown, context: ExecutionContext): AdminWorkspace => {
  return context.switchToHttp().getRequest<AdminRequest>().admin!.workspace!;
});
