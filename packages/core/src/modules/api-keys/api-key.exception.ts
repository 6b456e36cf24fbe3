import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type ApiKeyExceptionCode = 'INVALID_API_KEY_INPUT' | 'API_KEY_NOT_FOUND';

export class ApiKeyException extends PortraitException<ApiKeyExceptionCode> {}
