import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ApiKeyPrincipal } from '@portrait/core';
import type { AuthenticatedRequest } from './api-key.guard.js';

/** The authenticated key of the request (its workspace scopes every read and write). */
export const Principal = createParamDecorator((_: unknown, context: ExecutionContext): ApiKeyPrincipal => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
});
