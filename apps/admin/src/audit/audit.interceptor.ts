import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditLogService } from '@portrait/core';
import { mergeMap, type Observable } from 'rxjs';
import type { AdminRequest } from '../auth/admin-request.js';
import { AUDITED, type AuditedSpec } from './audited.decorator.js';

/** Records the audit entry of an `@Audited` route after it succeeded, before the answer leaves (a failed write fails the call). */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditLogService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<AuditedSpec | undefined>(AUDITED, context.getHandler());
    if (!spec) return next.handle();
    const request = context.switchToHttp().getRequest<AdminRequest>();
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        const admin = request.admin!;
        const params = request.params as Record<string, string | undefined>;
        const id =
          typeof spec.id === 'function'
            ? spec.id(result)
            : spec.id
              ? params[spec.id]
              : spec.target === 'workspace'
                ? admin.workspace?.id
                : (result as { id?: unknown } | undefined)?.id;
        await this.audit.record({
          workspaceId: admin.workspace?.id,
          actor: { userId: admin.principal.userId, label: admin.principal.email, via: admin.principal.via },
          action: spec.action,
          target: { type: spec.target, ...(typeof id === 'string' ? { id } : {}) },
          ip: admin.ip,
        });
        return result;
      }),
    );
  }
}
