import { seededRandom } from './seeded-random.js';

/**
 * Faults a sandbox injects, the way real channel APIs misbehave: rate limiting with Retry-After,
 * server errors, slow answers, and records that do not match the documented shape.
 */

export type FaultKind = 'rate_limit' | 'server_error' | 'slow' | 'malformed';

export interface FaultRule {
  kind: FaultKind;
  /** Fire on the next `times` matching requests (or records, for `malformed`). */
  times?: number;
  /** Fire on this share (0–1) of matching requests or records, decided by the sandbox's seeded random. */
  rate?: number;
  /** Only requests whose path matches (a prefix string or a RegExp). */
  path?: string | RegExp;
  /** rate_limit: the Retry-After to send, in seconds (default 1), or as an HTTP date that many seconds ahead. */
  retryAfter?: number;
  retryAfterFormat?: 'seconds' | 'http-date';
  /** server_error: the status (default 500). */
  status?: number;
  /** slow: how long to wait before answering (default 1000 ms). */
  delayMs?: number;
  /** malformed: what a record becomes (default: its `id` kept, every other field set to null). */
  corrupt?: (record: unknown) => unknown;
}

/** A fault fired for a request, as recorded in the request log. */
export type InjectedFault = FaultKind;

/** Faults of a running sandbox: inject and clear them between requests; `injected` counts what fired. */
export interface SandboxFaults {
  inject(rule: FaultRule): void;
  clear(): void;
  readonly rules: readonly FaultRule[];
  readonly injected: Readonly<Record<FaultKind, number>>;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number | undefined;
}

/** The sandbox server's fault state: which rules are active, and the decisions taken for each request and record. */
export class FaultController implements SandboxFaults {
  private active: ActiveRule[] = [];
  private readonly random: () => number;
  private readonly counts: Record<FaultKind, number> = { rate_limit: 0, server_error: 0, slow: 0, malformed: 0 };

  constructor(rules: FaultRule[] = [], seed = 1) {
    this.random = seededRandom(seed);
    for (const rule of rules) this.inject(rule);
  }

  inject(rule: FaultRule): void {
    if (rule.times === undefined && rule.rate === undefined) throw new Error(`fault ${rule.kind}: give times or rate`);
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) throw new RangeError(`fault ${rule.kind}: rate must be within 0 and 1`);
    this.active.push({ rule, remaining: rule.times });
  }

  clear(): void {
    this.active = [];
  }

  get rules(): readonly FaultRule[] {
    return this.active.map((a) => a.rule);
  }

  get injected(): Readonly<Record<FaultKind, number>> {
    return { ...this.counts };
  }

  /** The first request-level fault (rate limit, server error, slow) that fires for `path`, if any. */
  nextRequestFault(path: string): FaultRule | undefined {
    for (const active of this.active) {
      if (active.rule.kind === 'malformed' || !matches(active.rule, path)) continue;
      if (this.fires(active)) return active.rule;
    }
    return undefined;
  }

  /** Passes records through the malformed-record rules matching `path`. */
  corruptRecords<T>(records: readonly T[], path: string): T[] {
    const rules = this.active.filter((a) => a.rule.kind === 'malformed' && matches(a.rule, path));
    if (rules.length === 0) return [...records];
    return records.map((record) => {
      for (const active of rules) {
        if (this.fires(active)) return (active.rule.corrupt ?? nullOutFields)(record) as T;
      }
      return record;
    });
  }

  private fires(active: ActiveRule): boolean {
    let fire: boolean;
    if (active.remaining !== undefined && active.remaining > 0) {
      active.remaining--;
      fire = true;
    } else {
      fire = active.rule.rate !== undefined && this.random() < active.rule.rate;
    }
    if (fire) this.counts[active.rule.kind]++;
    // A `times` rule without a rate is spent once its count is used up.
    if (active.remaining === 0 && active.rule.rate === undefined) this.active = this.active.filter((a) => a !== active);
    return fire;
  }
}

function matches(rule: FaultRule, path: string): boolean {
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? path.startsWith(rule.path) : rule.path.test(path);
}

/** The default malformed record: the id survives (so it can be reported), every other field is null. */
export function nullOutFields(record: unknown): unknown {
  if (typeof record !== 'object' || record === null) return null;
  const corrupted: Record<string, unknown> = {};
  for (const key of Object.keys(record)) corrupted[key] = key === 'id' ? (record as Record<string, unknown>).id : null;
  return corrupted;
}
