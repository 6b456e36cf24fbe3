import { Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { PORTRAIT_CONFIG, type PortraitConfig } from '@portrait/core';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { RATE_LIMITER, type RateLimiter } from './rate-limiter.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

/** The per-key rate limiter: in this process, or shared through Redis when REDIS_URL is set. */
@Module({
  providers: [
    {
      provide: RATE_LIMITER,
      inject: [PORTRAIT_CONFIG],
      useFactory: (config: PortraitConfig): RateLimiter => (config.redisUrl ? new RedisRateLimiter(config.redisUrl) : new MemoryRateLimiter()),
    },
  ],
  exports: [RATE_LIMITER],
})
export class RateLimitModule implements OnModuleDestroy {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: RateLimiter) {}

  async onModuleDestroy(): Promise<void> {
    if (this.limiter instanceof RedisRateLimiter) await this.limiter.close();
  }
}
