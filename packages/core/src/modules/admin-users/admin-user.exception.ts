import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type AdminUserExceptionCode =
  | 'INVALID_ADMIN_USER'
  | 'INVALID_CREDENTIALS'
  | 'SIGN_IN_LOCKED'
  | 'SIGN_IN_RATE_LIMITED'
  | 'MEMBER_NOT_FOUND'
  | 'MEMBER_CONFLICT'
  | 'LAST_OWNER'
  | 'OWNER_REQUIRED'
  | 'ADMIN_TOKEN_NOT_FOUND';

/**
 * Errors of admin users, sessions and tokens. Field errors go in `details.errors`; refusals that
 * pass with time carry `details.retryAfterSeconds`.
 */
export class AdminUserException extends PortraitException<AdminUserExceptionCode> {}

export function invalidAdminUser(field: string, message: string): AdminUserException {
  return new AdminUserException('INVALID_ADMIN_USER', `${field}: ${message}`, { errors: [{ field, message }] });
}
