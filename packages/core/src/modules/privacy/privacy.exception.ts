import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type PrivacyExceptionCode = 'PRIVACY_REQUEST_NOT_FOUND' | 'PRIVACY_EXPORT_NOT_FOUND';

/** Errors of the privacy module's records: an unknown privacy request, or one that kept no export. */
export class PrivacyException extends PortraitException<PrivacyExceptionCode> {}
