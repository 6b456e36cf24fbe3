import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ADMIN_SESSION_MAX_MS, AdminSessionsService, AdminUsersService, AuditLogService } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import { Caller, type AdminContext, type AdminRequest } from '../auth/admin-request.js';
import { PublicRoute } from '../auth/route-access.decorator.js';
import { cameOverTls, clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from '../auth/session-cookie.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { sessionSchema, signedInSchema, signInSchema } from './session.schemas.js';

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } };

/** Browser sessions: sign in with e-mail and password, see who is signed in, sign out. */
@ApiTags('session')
@Controller('admin/api/session')
export class SessionController {
  constructor(
    private readonly sessions: AdminSessionsService,
    private readonly users: AdminUsersService,
    private readonly audit: AuditLogService,
  ) {}

  @Post()
  @PublicRoute()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in',
    description:
      'Sets the session cookie (httpOnly, SameSite=Lax, Secure over TLS) and answers the CSRF token to send in `X-CSRF-Token` with every mutating request. ' +
      'Attempts are limited per client address; an account is locked for a while after repeated failures.',
  })
  @ApiOkResponse({ standardSchema: signedInSchema, description: 'Signed in' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(problemResponse(401, 'Wrong e-mail or password (`INVALID_CREDENTIALS`)'))
  @ApiResponse(problemResponse(429, 'Too many attempts from this address (`SIGN_IN_RATE_LIMITED`) or the account is locked (`SIGN_IN_LOCKED`)', RETRY_AFTER))
  async signIn(@Body({ schema: signInSchema }) body: z.output<typeof signInSchema>, @Req() request: AdminRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const signedIn = await this.sessions.signIn({ email: body.email, password: body.password, ip: request.ip });
    reply.header('Set-Cookie', sessionCookie(signedIn.sessionToken, { secure: cameOverTls(request), maxAgeSeconds: ADMIN_SESSION_MAX_MS / 1000 }));
    const { principal } = signedIn;
    await this.audit.record({ actor: { userId: principal.userId, label: principal.email, via: 'session' }, action: 'session.sign_in', target: { type: 'session', id: principal.credentialId }, ip: request.ip });
    return {
      user: { id: principal.userId, email: principal.email },
      via: 'session' as const,
      csrfToken: signedIn.csrfToken,
      workspaces: await this.users.memberships(principal.userId),
      expiresAt: signedIn.expiresAt,
      idleTimeoutSeconds: signedIn.idleTimeoutSeconds,
    };
  }

  @Get()
  @AdminRoute()
  @ApiOperation({ summary: 'Who is signed in', description: 'The caller, how they are authenticated, the CSRF token of their session and their workspaces with their role.' })
  @ApiOkResponse({ standardSchema: sessionSchema, description: 'The caller' })
  async getSession(@Caller() caller: AdminContext, @Req() request: AdminRequest) {
    const cookie = caller.principal.via === 'session' ? readCookie(request.headers.cookie, SESSION_COOKIE) : undefined;
    return {
      user: { id: caller.principal.userId, email: caller.principal.email },
      via: caller.principal.via,
      csrfToken: cookie ? this.sessions.csrfToken(cookie) : null,
      workspaces: await this.users.memberships(caller.principal.userId),
    };
  }

  @Delete()
  @HttpCode(204)
  @AdminRoute({ mutating: true })
  @Audited('session.sign_out', 'session')
  @ApiOperation({ summary: 'Sign out', description: 'Ends the session and clears its cookie (an admin token is revoked through `DELETE /admin/api/tokens/{id}` instead).' })
  @ApiNoContentResponse({ description: 'Signed out' })
  async signOut(@Caller() caller: AdminContext, @Req() request: AdminRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    if (caller.principal.via !== 'session') return;
    await this.sessions.signOut(caller.principal.credentialId);
    reply.header('Set-Cookie', clearedSessionCookie(cameOverTls(request)));
  }
}
