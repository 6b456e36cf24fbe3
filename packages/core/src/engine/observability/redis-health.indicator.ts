import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { PORTRAIT_CONFIG, type PortraitConfig } from '../config/portrait-config.js';

/** Readiness of Redis, checked only when REDIS_URL is configured. */
@Injectable()
export class RedisHealthIndicator implements OnModuleDestroy {
  private client?: Redis;

  constructor(
    private readonly indicator: HealthIndicatorService,
    @Inject(PORTRAIT_CONFIG) private readonly config: PortraitConfig,
  ) {}

  get configured(): boolean {
    return Boolean(this.config.redisUrl);
  }

  async check(key = 'redis') {
    const check = this.indicator.check(key);
    this.client ??= new Redis(this.config.redisUrl!, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    try {
      if (this.client.status === 'wait') await this.client.connect();
      const answer = await Promise.race([
        this.client.ping(),
        new Promise<string>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000)),
      ]);
      return answer === 'PONG' ? check.up() : check.down({ message: `unexpected answer ${answer}` });
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.client?.disconnect();
  }
}
