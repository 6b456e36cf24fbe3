import { SetMetadata } from '@nestjs/common';

export const AUDITED = 'portrait:admin-audited';

export interface AuditedSpec {
  /** `<thing>.<verb>`: `segment.create`, `merge.undo`, `segment.members.read`. */
  action: string;
  /** What kind of thing the target is: `segment`, `profile`, `merge`, `member`… */
  target: string;
  /** The path parameter naming the target, or where the target's id is in the answer; otherwise the answer's `id` (the workspace's for target `workspace`). */
  id?: string | ((result: unknown) => string | undefined);
}

/**
 * Writes an audit log entry (who, what, target, when, from where) once the route succeeded. Every
 * mutating route and every read of personal data carries it; `test/audit.e2e.spec.ts` checks that no
 * such route lacks it.
 */
export const Audited = (action: string, target: string, id?: AuditedSpec['id']) => SetMetadata(AUDITED, { action, target, id } satisfies AuditedSpec);
