/**
 * The HTTP status of each domain error code (PortraitException), mapped once for every app (public API and management API).
 * Codes not listed follow their naming: `*_NOT_FOUND` → 404, `INVALID_*` → 400, `*_CONFLICT`/`*_TAKEN` → 409;
 * any other domain refusal is a 422 (understood, but not something that can be done).
 */
const STATUS_BY_CODE: Record<string, number> = {
  NOT_FOUND: 404,
  MERGE_ALREADY_UNDONE: 409,
  MERGE_NOT_UNDOABLE: 409,
  // A sync run that has ended cannot be cancelled.
  SYNC_RUN_ENDED: 409,
  // An inbound channel webhook whose signature does not verify.
  WEBHOOK_SIGNATURE_INVALID: 401,
  // Management API: sign-in and roles.
  INVALID_CREDENTIALS: 401,
  OWNER_REQUIRED: 403,
  SIGN_IN_LOCKED: 429,
  SIGN_IN_RATE_LIMITED: 429,
  LAST_OWNER: 409,
  // The server lacks PORTRAIT_SECRET_KEY: nothing the caller can fix.
  SECRET_KEY_REQUIRED: 503,
};

export function statusOfCode(code: string): number {
  const listed = STATUS_BY_CODE[code];
  if (listed) return listed;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.startsWith('INVALID_')) return 400;
  if (code.endsWith('_CONFLICT') || code.endsWith('_TAKEN')) return 409;
  return 422;
}
