import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, SetMetadata, UseInterceptors, applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditLogService } from '@portrait/core';
import { mergeMap, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/api-key.guard.js';

const AUDITED_READ = 'portrait:api-audited-read';

/**
 * Reads of one person's data through the public API join the workspace's audit log: the key (its id),
 * the route (the action, `api.profile.read`…), the profile (the one answered: the survivor of a
 * merged-away id) and the time. Recorded after the read succeeded, before the answer leaves: a read
 * that cannot be recorded fails.
 */
export const AuditedRead = (action: string) => applyDecorators(SetMetadata(AUDITED_READ, action), UseInterceptors(AuditedReadInterceptor));

@Injectable()
export class AuditedReadInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditLogService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const action = this.reflector.get<string | undefined>(AUDITED_READ, context.getHandler());
    if (!action) return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        const answered = result as { id?: unknown; profileId?: unknown } | undefined;
        const id = typeof answered?.profileId === 'string' ? answered.profileId : typeof answered?.id === 'string' ? answered.id : (request.params as Record<string, string | undefined>).id;
        await this.audit.record({
          workspaceId: request.principal.workspaceId,
          actor: { label: `api_key:${request.principal.keyId}`, via: 'api_key' },
          action,
          target: { type: 'profile', ...(id ? { id } : {}) },
          ip: request.ip,
        });
        return result;
      }),
    );
  }
}
