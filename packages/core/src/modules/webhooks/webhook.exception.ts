import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type WebhookExceptionCode = 'INVALID_WEBHOOK_SUBSCRIPTION' | 'WEBHOOK_SUBSCRIPTION_NOT_FOUND' | 'WEBHOOK_DELIVERY_NOT_FOUND' | 'SECRET_KEY_REQUIRED' | 'SECRET_UNREADABLE' | 'INVALID_CURSOR';

export class WebhookException extends PortraitException<WebhookExceptionCode> {}
