import { abortReason } from './abortable-sleep.js';

/** A clock the limiter reads; replaceable so that tests drive time by hand. */
export interface LimiterClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: LimiterClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RateLimiterOptions {
  /** Sustained rate: tokens added per second. Omit for no rate limit. */
  ratePerSecond?: number;
  /** Bucket size: how many calls may start at once after an idle period. Defaults to max(1, ratePerSecond). */
  burst?: number;
  /** How many scheduled calls may run at the same time. Omit for no limit. */
  maxConcurrency?: number;
  clock?: LimiterClock;
  /**
   * Under `ConnectorContext.rateLimiter`, calls with the same key get the same limiter for the whole
   * run (the key defaults to the settings). Ignored by the `RateLimiter` constructor.
   */
  key?: string;
}

interface Waiter {
  start: () => void;
  reject: (reason: unknown) => void;
  detach: () => void;
}

/**
 * Token bucket (rate + burst) combined with a concurrency cap. `schedule(fn)` waits for a token and
 * a free slot, then runs `fn`; waiting callers are served in order and leave the queue when their
 * abort signal fires.
 */
export class RateLimiter {
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxConcurrency: number;
  private readonly clock: LimiterClock;
  private tokens: number;
  private lastRefill: number;
  private running = 0;
  private readonly queue: Waiter[] = [];
  /** The waiting calls of each abort signal, and its one listener. */
  private readonly waitingBySignal = new Map<AbortSignal, { waiters: Set<Waiter>; onAbort: () => void }>();
  private timer: unknown = undefined;

  constructor(options: RateLimiterOptions = {}) {
    const rate = options.ratePerSecond ?? Number.POSITIVE_INFINITY;
    if (!(rate > 0)) throw new RangeError('ratePerSecond must be positive');
    const burst = options.burst ?? (Number.isFinite(rate) ? Math.max(1, rate) : Number.POSITIVE_INFINITY);
    if (!(burst >= 1)) throw new RangeError('burst must be at least 1');
    const maxConcurrency = options.maxConcurrency ?? Number.POSITIVE_INFINITY;
    if (!(maxConcurrency >= 1)) throw new RangeError('maxConcurrency must be at least 1');
    this.rate = rate;
    this.burst = burst;
    this.maxConcurrency = maxConcurrency;
    this.clock = options.clock ?? systemClock;
    this.tokens = burst;
    this.lastRefill = this.clock.now();
  }

  /** Calls currently running. */
  get active(): number {
    return this.running;
  }

  /** Calls waiting for a token or a slot. */
  get pending(): number {
    return this.queue.length;
  }

  schedule<T>(fn: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          this.running++;
          Promise.resolve()
            .then(fn)
            .then(resolve, reject)
            .finally(() => {
              this.running--;
              this.pump();
            });
        },
        reject,
        detach: () => signal && this.unwatch(signal, waiter),
      };
      if (signal) this.watch(signal, waiter);
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** One abort listener per signal, however many of its calls wait: a thousand queued calls are not a thousand listeners. */
  private watch(signal: AbortSignal, waiter: Waiter): void {
    let watched = this.waitingBySignal.get(signal);
    if (!watched) {
      const entry = {
        waiters: new Set<Waiter>(),
        onAbort: () => {
          this.waitingBySignal.delete(signal);
          for (const w of entry.waiters) {
            const index = this.queue.indexOf(w);
            if (index >= 0) this.queue.splice(index, 1);
            w.reject(abortReason(signal));
          }
          this.pump();
        },
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.waitingBySignal.set(signal, entry);
      watched = entry;
    }
    watched.waiters.add(waiter);
  }

  private unwatch(signal: AbortSignal, waiter: Waiter): void {
    const watched = this.waitingBySignal.get(signal);
    if (!watched) return;
    watched.waiters.delete(waiter);
    if (watched.waiters.size > 0) return;
    signal.removeEventListener('abort', watched.onAbort);
    this.waitingBySignal.delete(signal);
  }

  private refill(): void {
    if (!Number.isFinite(this.rate)) {
      this.tokens = this.burst;
      return;
    }
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
    this.lastRefill = now;
  }

  private pump(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0 && this.running < this.maxConcurrency) {
      this.refill();
      if (this.tokens < 1) {
        const waitMs = Math.ceil(((1 - this.tokens) * 1000) / this.rate);
        this.timer = this.clock.setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, waitMs);
        return;
      }
      this.tokens -= 1;
      const waiter = this.queue.shift()!;
      waiter.detach();
      waiter.start();
    }
  }
}
