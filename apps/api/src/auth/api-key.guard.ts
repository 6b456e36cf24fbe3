import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeysService, type ApiKeyPrincipal, type ApiKeyScope } from '@portrait/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblem } from '@portrait/core/http';
import { RATE_LIMITER, type RateLimiter } from '../rate-limit/rate-limiter.js';
import { presentedKey } from './credentials.js';

export const REQUIRED_SCOPE = 'portrait:required-scope';

/** The request once its key was recognized. */
export type AuthenticatedRequest = FastifyRequest & { principal: ApiKeyPrincipal };

const CHALLENGE = 'Bearer realm="portrait", Basic realm="portrait"';

/**
 * Authenticates the API key, spends one token of its rate limit, then checks the route's scope:
 * 401 without a valid key, 429 (with Retry-After) over the limit, 403 without the scope.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeysService,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const presented = presentedKey(request.headers.authorization);
    if (!presented) {
      throw new ApiProblem(401, 'UNAUTHENTICATED', 'send an API key: `Authorization: Bearer <key>` or HTTP Basic with the key as user name', {
        headers: { 'WWW-Authenticate': CHALLENGE },
      });
    }
    const principal = await this.keys.authenticate(presented);
    if (!principal) {
      throw new ApiProblem(401, 'INVALID_API_KEY', 'the API key is unknown or was revoked', { headers: { 'WWW-Authenticate': CHALLENGE } });
    }

    const decision = await this.limiter.take(principal.keyId, principal.rateLimitPerMinute);
    reply.header('RateLimit-Limit', String(decision.limit));
    reply.header('RateLimit-Remaining', String(decision.remaining));
    if (!decision.allowed) {
      throw new ApiProblem(429, 'RATE_LIMITED', `this key may make ${decision.limit} requests per minute; retry in ${decision.retryAfterSeconds} s`, {
        headers: { 'Retry-After': String(decision.retryAfterSeconds) },
      });
    }

    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (scope && !principal.scopes.includes(scope)) {
      throw new ApiProblem(403, 'INSUFFICIENT_SCOPE', `this route needs the scope ${scope}; the key has ${principal.scopes.join(', ')}`);
    }
    request.principal = principal;
    return true;
  }
}
