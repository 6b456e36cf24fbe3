import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { WebhookDeliveryService } from './webhook-delivery.service.js';

/** Polls for due deliveries while started (the worker starts it); stops with the app. */
@Injectable()
export class WebhookDispatcher implements OnModuleDestroy {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly deliveries: WebhookDeliveryService) {}

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.drain().finally(() => (this.running = undefined));
    }, intervalMs);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while ((await this.deliveries.deliverDue(50)) === 50 && this.timer) {
        /* keep going while there is a backlog */
      }
    } catch (error) {
      this.logger.error({ err: error }, 'webhook delivery round failed');
    }
  }
}
