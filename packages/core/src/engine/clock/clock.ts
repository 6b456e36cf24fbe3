/**
 * What time it is, for what moves with the clock (computed traits such as `days_since_last_order`,
 * trailing windows). Injected, so that a test sets the time instead of waiting for it.
 */
export abstract class Clock {
  abstract now(): Date;
}

/** The machine's clock. */
export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that moves only when told to (tests, replays). */
export class ManualClock extends Clock {
  private at: number;

  constructor(start: Date | string = new Date()) {
    super();
    this.at = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  set(at: Date | string): void {
    this.at = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
