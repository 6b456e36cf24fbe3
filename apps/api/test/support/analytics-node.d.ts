/** The part of analytics-node 6 (Segment's older Node library, shipped without types) the tests use. */
declare module 'analytics-node' {
  interface Message {
    userId?: string;
    anonymousId?: string;
    event?: string;
    traits?: Record<string, unknown>;
    properties?: Record<string, unknown>;
    timestamp?: Date;
  }
  export default class Analytics {
    constructor(writeKey: string, options?: { host?: string; flushAt?: number; flushInterval?: number; enable?: boolean });
    identify(message: Message): this;
    track(message: Message): this;
    flush(callback?: (error?: Error) => void): Promise<unknown>;
  }
}
