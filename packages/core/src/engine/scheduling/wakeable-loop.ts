import type { EventEmitter } from 'node:events';

export interface WakeableLoopOptions {
  /** One pass of the work (drain what is due). */
  pass: () => Promise<void>;
  /** A pass failed: answers whether to run another pass at once (after waiting, if the caller wants a pause). */
  failed: (error: unknown) => Promise<boolean>;
  /** A pass runs at least this often. */
  pollMs: number;
  /** And whenever this process emits `event` on `signals` (work it queued itself). */
  signals: EventEmitter;
  event: string;
}

/**
 * A background worker's loop in a process (the intake processor, the segment pusher): one pass at a
 * time, run at start, on every signal and every `pollMs`; a wake-up during a pass runs one more pass
 * after it. The timer never keeps the process alive; `stop` waits for the pass in flight.
 */
export class WakeableLoop {
  private active = false;
  private pass?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private readonly wake = () => this.kick();

  constructor(private readonly options: WakeableLoopOptions) {}

  /** True between `start` and `stop`: a pass checks it to end early when stopped. */
  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.options.signals.on(this.options.event, this.wake);
    this.timer = setInterval(this.wake, this.options.pollMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    clearInterval(this.timer);
    this.options.signals.off(this.options.event, this.wake);
    await this.pass;
  }

  private kick(): void {
    if (!this.active) return;
    if (this.pass) {
      this.again = true;
      return;
    }
    this.pass = (async () => {
      do {
        this.again = false;
        try {
          await this.options.pass();
        } catch (error) {
          if (await this.options.failed(error)) this.again = true;
        }
      } while (this.again && this.active);
    })().finally(() => (this.pass = undefined));
  }
}
