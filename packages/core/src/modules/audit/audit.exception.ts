import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type AuditExceptionCode = 'INVALID_CURSOR';

export class AuditException extends PortraitException<AuditExceptionCode> {}
