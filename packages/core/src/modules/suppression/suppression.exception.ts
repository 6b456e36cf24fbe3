import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type SuppressionExceptionCode = 'SUPPRESSION_NOT_FOUND' | 'INVALID_IDENTITY';

/** Errors of the suppression list: lifting an identifier that is not suppressed, or one that does not normalize. */
export class SuppressionException extends PortraitException<SuppressionExceptionCode> {}
