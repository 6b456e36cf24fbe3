import { Module } from '@nestjs/common';
import { CryptoModule } from '../../engine/crypto/crypto.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookOutboxService } from './webhook-outbox.service.js';
import { WebhooksService } from './webhooks.service.js';

/** Outgoing webhooks: subscriptions, an outbox fed by profile (and later segment) changes, signed deliveries with retries. */
@Module({
  imports: [ProfilesModule, CryptoModule],
  providers: [WebhooksService, WebhookOutboxService, WebhookDeliveryService, WebhookDispatcher],
  exports: [WebhooksService, WebhookOutboxService, WebhookDeliveryService, WebhookDispatcher],
})
export class WebhooksModule {}
