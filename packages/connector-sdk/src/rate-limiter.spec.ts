import { getEventListeners } from 'node:events';
import { createConnectorContext } from './connector-context.js';
import { RateLimiter, type LimiterClock } from './rate-limiter.js';

/** A clock moved by hand: timers fire only when the test advances time. */
class ManualClock implements LimiterClock {
  private time = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
      await flush();
    }
    this.time = target;
    await flush();
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RateLimiter', () => {
  it('lets a burst through, then one call per 1/rate seconds', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 2, clock });
    const started: number[] = [];
    const calls = Array.from({ length: 5 }, (_, i) => limiter.schedule(async () => void started.push(i)));

    await flush();
    expect(started).toEqual([0, 1]);
    expect(limiter.pending).toBe(3);

    await clock.advance(499);
    expect(started).toEqual([0, 1]);
    await clock.advance(1);
    expect(started).toEqual([0, 1, 2]);
    await clock.advance(500);
    expect(started).toEqual([0, 1, 2, 3]);
    await clock.advance(500);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(calls);
    expect(limiter.pending).toBe(0);
  });

  it('refills the bucket while idle, up to the burst size only', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 3, clock });
    const started: number[] = [];
    await Promise.all([0, 1, 2].map((i) => limiter.schedule(async () => void started.push(i))));

    await clock.advance(60_000);
    const later = [3, 4, 5, 6].map((i) => limiter.schedule(async () => void started.push(i)));
    await flush();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    await clock.advance(1000);
    await Promise.all(later);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('never runs more than maxConcurrency calls at once, and starts the next as one finishes', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ maxConcurrency: 2, clock });
    const gates = Array.from({ length: 4 }, () => deferred());
    let peak = 0;
    const calls = gates.map((gate, i) =>
      limiter.schedule(async () => {
        peak = Math.max(peak, limiter.active);
        await gate.promise;
        return i;
      }),
    );

    await flush();
    expect(limiter.active).toBe(2);
    expect(limiter.pending).toBe(2);
    gates[1]!.resolve();
    await flush();
    expect(limiter.active).toBe(2);
    expect(limiter.pending).toBe(1);
    for (const gate of gates) gate.resolve();
    await expect(Promise.all(calls)).resolves.toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
    expect(limiter.active).toBe(0);
  });

  it('releases a slot when a call fails', async () => {
    const limiter = new RateLimiter({ maxConcurrency: 1, clock: new ManualClock() });
    const failing = limiter.schedule(async () => {
      throw new Error('upstream down');
    });
    const next = limiter.schedule(async () => 'ran');
    await expect(failing).rejects.toThrow('upstream down');
    await expect(next).resolves.toBe('ran');
  });

  it('drops a waiting call when its signal aborts, without delaying the others', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, clock });
    const controller = new AbortController();
    const started: string[] = [];
    const first = limiter.schedule(async () => void started.push('first'));
    const cancelled = limiter.schedule(async () => void started.push('cancelled'), { signal: controller.signal });
    const third = limiter.schedule(async () => void started.push('third'));
    await first;

    controller.abort(new Error('stop'));
    await expect(cancelled).rejects.toThrow('stop');
    expect(limiter.pending).toBe(1);
    await clock.advance(1000);
    await third;
    expect(started).toEqual(['first', 'third']);
  });

  it('listens to a signal once however many of its calls wait, and lets go of it when none is left', async () => {
    const limiter = new RateLimiter({ maxConcurrency: 2 });
    const controller = new AbortController();
    const release: (() => void)[] = [];
    const calls = Array.from({ length: 1000 }, () => limiter.schedule(() => new Promise<void>((resolve) => release.push(resolve)), { signal: controller.signal }));
    expect(limiter.pending).toBe(998);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    while (release.length) {
      release.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(calls);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);

    // Aborted while many wait: every waiting call is dropped with the reason, the running ones finish.
    const running: (() => void)[] = [];
    const more = Array.from({ length: 5 }, () => limiter.schedule(() => new Promise<void>((resolve) => running.push(resolve)), { signal: controller.signal }));
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('stop'));
    running.forEach((resolve) => resolve());
    const outcomes = await Promise.allSettled(more);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
    expect(limiter.pending).toBe(0);
  });

  it('rejects impossible settings', () => {
    expect(() => new RateLimiter({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ maxConcurrency: 0 })).toThrow(RangeError);
    expect(() => new RateLimiter({ ratePerSecond: 5, burst: 0.5 })).toThrow(RangeError);
  });

  it('is shared by a connector context per key, for the whole run', () => {
    const ctx = createConnectorContext();
    const a = ctx.rateLimiter({ ratePerSecond: 4, maxConcurrency: 2 });
    expect(ctx.rateLimiter({ ratePerSecond: 4, maxConcurrency: 2 })).toBe(a);
    expect(ctx.rateLimiter({ ratePerSecond: 1 })).not.toBe(a);
    const keyed = ctx.rateLimiter({ ratePerSecond: 1, key: 'admin-api' });
    expect(ctx.rateLimiter({ ratePerSecond: 9, key: 'admin-api' })).toBe(keyed);
    expect(createConnectorContext().rateLimiter({ ratePerSecond: 4, maxConcurrency: 2 })).not.toBe(a);
  });
});
