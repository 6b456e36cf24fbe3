import { MemoryRateLimiter } from './memory-rate-limiter.js';

describe('MemoryRateLimiter (token bucket)', () => {
  it('lets a quiet key burst up to its per-minute limit, then refuses with the wait until the next token', async () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter(() => now);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.take('k', 3));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    // 3 per minute: one token every 20 s.
    expect(decisions[3]!.retryAfterSeconds).toBe(20);

    now += 10_000;
    expect(await limiter.take('k', 3)).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
    now += 10_000;
    expect(await limiter.take('k', 3)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('keeps one bucket per key and never refills past the limit', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now);
    expect((await limiter.take('a', 1)).allowed).toBe(true);
    expect((await limiter.take('a', 1)).allowed).toBe(false);
    expect((await limiter.take('b', 1)).allowed).toBe(true);
    now += 3_600_000;
    expect(await limiter.take('a', 1)).toMatchObject({ allowed: true, remaining: 0 });
    expect((await limiter.take('a', 1)).allowed).toBe(false);
  });
});
