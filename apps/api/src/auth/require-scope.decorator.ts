import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { ApiKeyScope } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import { ApiKeyGuard, REQUIRED_SCOPE } from './api-key.guard.js';

/** The route needs an API key with this scope; documents the security and the 401/403/429 answers. */
export function RequireScope(scope: ApiKeyScope): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    UseGuards(ApiKeyGuard),
    ApiSecurity('bearer', [scope]),
    ApiSecurity('basic', [scope]),
    ApiResponse(problemResponse(401, 'No API key, or an unknown or revoked one.')),
    ApiResponse(problemResponse(403, `The key lacks the scope \`${scope}\`.`)),
    ApiResponse(problemResponse(429, 'Over the key\'s rate limit; `Retry-After` says when to retry.', { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } })),
  );
}
