import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { RateLimitDecision, RateLimiter } from './rate-limiter.js';

/**
 * The token bucket of rate-limiter.ts run atomically inside Redis, on Redis's clock, so that every API
 * process sharing the Redis shares each key's budget. Returns {allowed, tokens as text}.
 */
const TAKE_TOKEN = `
local capacity = tonumber(ARGV[1])
local per_ms = capacity / 60000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - at) * per_ms)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000 + 1000)
return {allowed, tostring(tokens)}
`;

type WithTakeToken = Redis & { portraitTakeToken(key: string, perMinute: number): Promise<[number, string]> };

/**
 * Buckets in Redis (REDIS_URL set): several API processes enforce one limit per key. When Redis does
 * not answer, requests are let through and the failure logged: the limit protects the service, and
 * an outage of the limiter should not become an outage of the API.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly logger = new Logger(RedisRateLimiter.name);
  private readonly client: WithTakeToken;

  constructor(url: string, private readonly prefix = 'portrait:api-rate:') {
    const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
    client.defineCommand('portraitTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    client.on('error', () => {
      /* reported per request below; ioredis reconnects by itself */
    });
    this.client = client as WithTakeToken;
  }

  async take(bucket: string, perMinute: number): Promise<RateLimitDecision> {
    try {
      const [allowed, tokensText] = await this.client.portraitTakeToken(`${this.prefix}${bucket}`, perMinute);
      const tokens = Number(tokensText);
      return {
        allowed: allowed === 1,
        limit: perMinute,
        remaining: Math.floor(tokens),
        retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / (perMinute / 60_000) / 1000)),
      };
    } catch (error) {
      this.logger.warn({ err: error }, 'rate limiter unavailable: request let through');
      return { allowed: true, limit: perMinute, remaining: perMinute, retryAfterSeconds: 0 };
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
