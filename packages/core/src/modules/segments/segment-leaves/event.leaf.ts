import { z } from 'zod';
import {
  COMPARISON_OPERATORS,
  comparisonFields,
  COUNT_OPERATORS,
  ISO_DURATION,
  isIsoInstant,
  leafName,
  type Comparison,
  type CountOperator,
} from '../segment-definition.js';
import { comparison, correlatedExists, type CompileContext } from './comparison-sql.js';
import { isRelative, type SegmentLeafKind } from './segment-leaf.js';

/** A filter on an event's properties. */
export interface PropertyCondition extends Comparison {
  property: string;
}

/** Events the profile did: `{ event: 'order_placed', where: [...], count: { op: 'gte', value: 3 }, within: 'P90D' }`. */
export interface EventCondition {
  event: string;
  where?: PropertyCondition[];
  /** How many matching events (default: at least one). `{op: 'eq', value: 0}` is "did not do". */
  count?: { op: CountOperator; value: number };
  /** ISO-8601 duration back from now, e.g. `P90D`. */
  within?: string;
  /** Two ISO-8601 instants, from inclusive to exclusive. */
  between?: [string, string];
}

const instant = z.string().refine(isIsoInstant, 'must be an ISO-8601 instant, e.g. 2026-01-31T12:00:00Z');
export const propertyConditionSchema = z.strictObject({ property: leafName, ...comparisonFields });
export const eventConditionSchema = z.strictObject({
  event: leafName,
  where: z.array(propertyConditionSchema).max(20).optional(),
  count: z.strictObject({ op: z.enum(COUNT_OPERATORS), value: z.number().int().min(0) }).optional(),
  within: z.string().regex(ISO_DURATION, 'must be an ISO-8601 duration such as P90D').optional(),
  between: z.tuple([instant, instant]).optional(),
});

const COUNT_SQL: Record<CountOperator, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const AT_LEAST_ONE = { op: 'gte', value: 1 } as const;

const countHolds = (op: CountOperator, count: number, value: number) =>
  op === 'eq' ? count === value : op === 'neq' ? count !== value : op === 'gt' ? count > value : op === 'gte' ? count >= value : op === 'lt' ? count < value : count <= value;

export const eventLeaf: SegmentLeafKind<EventCondition> = {
  schema: eventConditionSchema,
  // The operators of its property filters (`where`); its count compares with COUNT_OPERATORS.
  operators: COMPARISON_OPERATORS,
  check: (leaf, ctx) => {
    (leaf.where ?? []).forEach((w, i) => ctx.comparison(w, ['where', i], undefined, 'property'));
    if (leaf.within !== undefined && leaf.between !== undefined) ctx.error(['between'], 'use within or between, not both');
    if (leaf.between && Date.parse(leaf.between[0]) >= Date.parse(leaf.between[1])) ctx.error(['between'], 'the first instant must come before the second');
  },
  compile: (leaf, ctx) => compileEvent(leaf, ctx),
  compileSiblings: (leaves, ctx) => groupEventLeaves(leaves, ctx),
  timeWindowed: (leaf) => leaf.within !== undefined || (leaf.where ?? []).some(isRelative),
};

/**
 * Over a whole workspace, sibling event leaves of an `all` on the same event type (`ordered, but not in
 * the last 60 days`) are one grouped pass over that type's events instead of one pass each: the
 * profiles whose events of the type satisfy every leaf's count, each counted with its own window and
 * property filters. Only when one leaf needs at least one event (so a profile without any cannot
 * match, and is rightly absent from the grouping); leaves with `between` keep their own pass. The scan
 * starts at the earliest window when every leaf has one.
 */
function groupEventLeaves(siblings: EventCondition[], ctx: CompileContext): { grouped: string[]; covered: Set<EventCondition> } {
  const byType = new Map<string, EventCondition[]>();
  for (const leaf of siblings) {
    if (leaf.between) continue;
    byType.set(leaf.event, [...(byType.get(leaf.event) ?? []), leaf]);
  }
  const covered = new Set<EventCondition>();
  const grouped: string[] = [];
  for (const [type, leaves] of byType) {
    const counts = leaves.map((l) => l.count ?? AT_LEAST_ONE);
    if (leaves.length < 2 || counts.every((c) => countHolds(c.op, 0, c.value))) continue;
    const { p } = ctx;
    const windowOf = (l: EventCondition) => `now() - ${p.add(l.within)}::interval`;
    const since = leaves.every((l) => l.within) ? ` AND e.occurred_at >= LEAST(${leaves.map(windowOf).join(', ')})` : '';
    const having = leaves.map((l, i) => {
      const filters = [...(l.within ? [`e.occurred_at >= ${windowOf(l)}`] : []), ...(l.where ?? []).map((w) => comparison(w, { column: 'e.properties', key: w.property }, ctx))];
      const counted = filters.length ? `count(*) FILTER (WHERE ${filters.join(' AND ')})` : 'count(*)';
      return `${counted} ${COUNT_SQL[counts[i]!.op]} ${p.add(counts[i]!.value)}`;
    });
    grouped.push(
      `p.id IN (SELECT e.profile_id FROM events e WHERE e.workspace_id = ${ctx.ws}::uuid AND e.type = ${p.add(type)}::text${since}
                GROUP BY e.profile_id HAVING ${having.join(' AND ')})`,
    );
    for (const leaf of leaves) covered.add(leaf);
  }
  return { grouped, covered };
}

/**
 * Events of one type, in a window, with property filters, counted. Per profile: EXISTS / a counted
 * subquery on the (profile_id, occurred_at) index, stopping at the threshold. Set-based (a whole
 * workspace): the profiles whose count satisfies the comparison, grouped once; when zero events
 * satisfy it too, the complement of those whose count does not.
 */
function compileEvent(e: EventCondition, ctx: CompileContext): string {
  const { p } = ctx;
  const count = e.count ?? AT_LEAST_ONE;
  const zeroMatches = countHolds(count.op, 0, count.value);
  if (zeroMatches && countHolds(count.op, Number.MAX_SAFE_INTEGER, count.value) && count.op !== 'neq' && count.op !== 'eq') return 'true';
  const filters = [`e.type = ${p.add(e.event)}::text`];
  if (e.within) filters.push(`e.occurred_at >= now() - ${p.add(e.within)}::interval`);
  if (e.between) filters.push(`e.occurred_at >= ${p.add(e.between[0])}::timestamptz`, `e.occurred_at < ${p.add(e.between[1])}::timestamptz`);
  for (const w of e.where ?? []) filters.push(comparison(w, { column: 'e.properties', key: w.property }, ctx));
  const atLeast = count.op === 'gte' ? count.value : count.op === 'gt' ? count.value + 1 : undefined;
  const onlyNone = (count.op === 'eq' && count.value === 0) || (count.op === 'lt' && count.value === 1) || (count.op === 'lte' && count.value === 0);
  if (atLeast === 1 || onlyNone) {
    // A correlated EXISTS is planned as a semi- or anti-join. Over a whole workspace it names the
    // workspace too, so that the join's inner side is an index range on (workspace_id, type, occurred_at);
    // for a batch, the per-profile index serves it and the workspace would only mislead the planner.
    const scope = ctx.setBased ? `e.workspace_id = ${ctx.ws}::uuid AND ` : '';
    const exists = correlatedExists(`FROM events e WHERE ${scope}e.profile_id = p.id AND ${filters.join(' AND ')}`, ctx);
    return onlyNone ? `(NOT ${exists})` : exists;
  }
  if (ctx.setBased) {
    const holds = `count(*) ${COUNT_SQL[count.op]} ${p.add(count.value)}`;
    const grouped = (having: string) =>
      `p.id IN (SELECT e.profile_id FROM events e WHERE e.workspace_id = ${ctx.ws}::uuid AND ${filters.join(' AND ')} GROUP BY e.profile_id HAVING ${having})`;
    return zeroMatches ? `(NOT ${grouped(`NOT (${holds})`)})` : `(${grouped(holds)})`;
  }
  const from = `FROM events e WHERE e.profile_id = p.id AND ${filters.join(' AND ')}`;
  if (atLeast !== undefined) return `((SELECT count(*) FROM (SELECT 1 ${from} LIMIT ${p.add(atLeast)}) x) >= ${p.add(atLeast)})`;
  return `((SELECT count(*) ${from}) ${COUNT_SQL[count.op]} ${p.add(count.value)})`;
}
