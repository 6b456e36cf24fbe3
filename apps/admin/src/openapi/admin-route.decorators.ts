import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { AdminRole } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import { RequiresRole } from '../auth/route-access.decorator.js';

/**
 * Documents (and, for `role`, sets) how a route of /admin/api is reached: a session cookie — with the
 * CSRF token on mutating routes — or an admin token, and the 401 / 403 it may answer. The guard
 * enforces it whatever is documented here.
 */
export function AdminRoute(options: { mutating?: boolean; role?: AdminRole; workspace?: boolean } = {}): MethodDecorator {
  const refusals = [
    ...(options.mutating ? ['the CSRF token of a cookie session is missing or wrong (`CSRF_TOKEN_INVALID`)'] : []),
    ...(options.workspace && (options.mutating || options.role) ? [`the caller's role in the workspace is below ${options.role ?? 'admin'} (\`ROLE_REQUIRED\`)`] : []),
    ...(options.role === 'owner' && !options.workspace ? ['the caller owns no workspace (`OWNER_REQUIRED`)'] : []),
  ];
  return applyDecorators(
    ...(options.role ? [RequiresRole(options.role)] : []),
    ApiSecurity(options.mutating ? { session: [], csrf: [] } : { session: [] }),
    ApiSecurity('bearer'),
    ApiResponse(problemResponse(401, 'No session or admin token, or one that ended or was revoked.')),
    ...(refusals.length ? [ApiResponse(problemResponse(403, `Refused: ${refusals.join('; ')}.`))] : []),
    ...(options.workspace
      ? [
          ApiParam({ name: 'workspace', description: 'The workspace: its slug or its id', schema: { type: 'string' } }),
          ApiResponse(problemResponse(404, 'No such workspace among the caller\'s, or no such thing in it.')),
        ]
      : []),
  );
}

export const INVALID_INPUT = problemResponse(400, 'Invalid input: each offending field is named in `errors`.');
