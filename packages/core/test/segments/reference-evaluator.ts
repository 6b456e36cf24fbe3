import { isIsoInstant, type Comparison, type EventCondition, type SegmentCondition } from '../../src/modules/segments/segment-definition.js';
import type { TestProfile } from './segment-population.js';

/** The meaning of the segment language, written plainly over in-memory profiles: what the compiled SQL must agree with. */
const DAY = 86_400_000;
const durationMs = (d: string) => {
  const m = /^P(\d+)([DW])$/.exec(d);
  if (!m) throw new Error(`the reference evaluator knows day and week durations only: ${d}`);
  return Number(m[1]) * (m[2] === 'W' ? 7 : 1) * DAY;
};
const toTime = (x: unknown) => (isIsoInstant(x) ? Date.parse(x) : undefined);
const same = (x: unknown, v: unknown) => (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') && x === v;

function positive(op: Comparison['op'], x: unknown, v: unknown, now: number): boolean {
  switch (op) {
    case 'exists':
      return x !== undefined && x !== null;
    case 'eq':
      return same(x, v);
    case 'in':
      return (v as unknown[]).some((e) => same(x, e));
    case 'contains':
      if (typeof x === 'string') return x.toLowerCase().includes(String(v).toLowerCase());
      return Array.isArray(x) && x.some((e) => e === v);
    case 'starts_with':
      return typeof x === 'string' && x.toLowerCase().startsWith(String(v).toLowerCase());
    case 'ends_with':
      return typeof x === 'string' && x.toLowerCase().endsWith(String(v).toLowerCase());
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
    case 'between': {
      const numeric = (Array.isArray(v) ? v : [v]).every((e) => typeof e === 'number');
      const a = numeric ? (typeof x === 'number' ? x : undefined) : toTime(x);
      if (a === undefined) return false;
      const b = (e: unknown) => (numeric ? (e as number) : Date.parse(e as string));
      if (op === 'between') return a >= b((v as unknown[])[0]) && a <= b((v as unknown[])[1]);
      return op === 'gt' ? a > b(v) : op === 'gte' ? a >= b(v) : op === 'lt' ? a < b(v) : a <= b(v);
    }
    case 'before':
    case 'after': {
      const t = toTime(x);
      return t !== undefined && (op === 'before' ? t < Date.parse(v as string) : t > Date.parse(v as string));
    }
    case 'within_last':
    case 'more_than_ago': {
      const t = toTime(x);
      return t !== undefined && (op === 'within_last' ? t >= now - durationMs(v as string) : t < now - durationMs(v as string));
    }
    default:
      throw new Error(`not a positive operator: ${op}`);
  }
}

const NEGATED: Partial<Record<Comparison['op'], Comparison['op']>> = { neq: 'eq', not_in: 'in', not_contains: 'contains', missing: 'exists' };
function compare(c: Comparison, x: unknown, now: number): boolean {
  const pos = NEGATED[c.op];
  return pos ? !positive(pos, x, c.value, now) : positive(c.op, x, c.value, now);
}
/** For leaves over a set (identities, linked accounts): negated operators mean "none matches the positive one". */
function compareAny(c: Comparison, xs: unknown[], now: number): boolean {
  const pos = NEGATED[c.op];
  return pos ? !xs.some((x) => positive(pos, x, c.value, now)) : xs.some((x) => positive(c.op, x, c.value, now));
}

export interface ReferenceWorld {
  byId: Map<string, TestProfile>;
  segments: Map<string, SegmentCondition>;
  now: number;
}

export function evaluate(node: SegmentCondition, p: TestProfile, world: ReferenceWorld): boolean {
  const n = node as Record<string, unknown>;
  const { now } = world;
  if ('all' in n) return (n.all as SegmentCondition[]).every((c) => evaluate(c, p, world));
  if ('any' in n) return (n.any as SegmentCondition[]).some((c) => evaluate(c, p, world));
  if ('not' in n) return !evaluate(n.not as SegmentCondition, p, world);
  if ('trait' in n) return compare(n as unknown as Comparison, p.traits[n.trait as string], now);
  if ('computed' in n) return compare(n as unknown as Comparison, p.computed[n.computed as string], now);
  if ('accountTrait' in n) {
    const accounts = p.accounts.map((id) => world.byId.get(id)!).filter((a) => a.mergedInto === null);
    const c = n as unknown as Comparison;
    const pos = NEGATED[c.op];
    const hit = (op: Comparison['op']) => accounts.some((a) => positive(op, a.traits[n.accountTrait as string], c.value, now));
    return pos ? !hit(pos) : hit(c.op);
  }
  if ('identity' in n) {
    const values = p.identities.filter((i) => i.type === n.identity).map((i) => i.value);
    const c = n as unknown as Comparison;
    if (c.op === 'exists') return values.length > 0;
    if (c.op === 'missing') return values.length === 0;
    return compareAny(c, values, now);
  }
  if ('event' in n) {
    const e = n as unknown as EventCondition;
    const count = p.events.filter(
      (ev) =>
        ev.type === e.event &&
        (!e.within || ev.occurredAt >= now - durationMs(e.within)) &&
        (!e.between || (ev.occurredAt >= Date.parse(e.between[0]) && ev.occurredAt < Date.parse(e.between[1]))) &&
        (e.where ?? []).every((w) => compare(w, ev.properties[w.property], now)),
    ).length;
    const { op, value } = e.count ?? { op: 'gte', value: 1 };
    return op === 'eq' ? count === value : op === 'neq' ? count !== value : op === 'gt' ? count > value : op === 'gte' ? count >= value : op === 'lt' ? count < value : count <= value;
  }
  if ('consent' in n) {
    const latest = p.consents.filter((c) => c.purpose === n.consent).sort((a, b) => b.at - a.at || Number(a.granted) - Number(b.granted))[0];
    const granted = latest?.granted ?? false;
    return n.granted ? granted : !granted;
  }
  if ('persona' in n) return p.personaId === n.persona;
  if ('typology' in n) return p.typology === n.typology;
  if ('segment' in n) return evaluate(world.segments.get(n.segment as string)!, p, world);
  throw new Error('unknown condition');
}

/** Ids of the live profiles matching a definition, sorted. */
export function referenceMembers(definition: SegmentCondition, population: TestProfile[], world: ReferenceWorld): string[] {
  return population.filter((p) => p.mergedInto === null && evaluate(definition, p, world)).map((p) => p.id).sort();
}
