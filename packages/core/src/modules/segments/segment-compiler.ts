import type { ObservedTypes } from './segment-catalog.service.js';
import { NEGATED_OPERATORS, type Comparison, type EventCondition, type SegmentCondition } from './segment-definition.js';
import { SegmentException } from './segment.exception.js';

/** One parameterized statement: the SQL text never contains a name or a value from the definition. */
export interface CompiledSegment {
  sql: string;
  params: unknown[];
}

/** Collects parameters; `add` answers the placeholder. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Where the compared value lives: a key of a jsonb column (traits, computed, properties), or a text expression. */
type Target = { column: string; key: string; field?: 'traits' | 'computed' } | { text: string };

const json = (v: unknown) => JSON.stringify(v);
const jsonbOf = (t: Target, p: Params) => ('column' in t ? `(${t.column} -> ${p.add(t.key)}::text)` : `to_jsonb(${t.text})`);
const textOf = (t: Target, p: Params) => ('column' in t ? `(${t.column} ->> ${p.add(t.key)}::text)` : t.text);
const isNumberList = (v: unknown) => (Array.isArray(v) ? v : [v]).every((x) => typeof x === 'number');

/** Lists up to this long become OR-ed containments (each served by the GIN index); longer ones one `@> ANY`. */
const MAX_OR_EXPANSION = 16;

/**
 * A date comparison that never fails on values that are not dates. `portrait_try_timestamptz` checks
 * each value against the ISO-8601 rule before casting, which costs several times the cast itself; so
 * values in the canonical UTC form (`2026-01-31T12:00:00Z`, `…00.123Z`) are first compared as text on
 * their first 19 characters (the instant to the second, in an order that agrees with time), a
 * necessary condition that settles most rows without parsing. The bound's text is computed once.
 */
function dateComparison(value: string, bounds: { op: '>' | '>=' | '<' | '<='; bound: string }[]): string {
  const prefilters = bounds.map(({ op, bound }) => {
    const text = `(SELECT CASE WHEN b >= '0001-01-01 00:00:00+00' AND b < '10000-01-01 00:00:00+00' THEN to_char(b AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') END FROM (SELECT (${bound}) AS b) x)`;
    return `left(${value}, 19) COLLATE "C" ${op.startsWith('>') ? '>=' : '<='} ${text} COLLATE "C"`;
  });
  const exact = bounds.map(({ op, bound }) => `portrait_try_timestamptz(${value}) ${op} ${bound}`).join(' AND ');
  return `(CASE WHEN ${value} COLLATE "C" LIKE '____-__-__T__:__:__%Z' AND NOT (${prefilters.join(' AND ')}) THEN false ELSE coalesce(${exact}, false) END)`;
}

/**
 * The positive form of a comparison (`neq` → `eq`…) as a boolean SQL expression that is never NULL.
 * Containment on the whole jsonb column (`traits @> {"k": v}`) is what the GIN jsonb_path_ops index serves.
 */
function positiveComparison(c: Comparison, t: Target, ctx: Context): string {
  const { p } = ctx;
  const v = c.value;
  switch (c.op) {
    case 'exists':
      return 'column' in t ? `(${t.column} ? ${p.add(t.key)}::text AND jsonb_typeof(${t.column} -> ${p.add(t.key)}::text) <> 'null')` : `(${t.text} IS NOT NULL)`;
    case 'eq':
      return 'column' in t ? `(${t.column} @> ${p.add(json({ [t.key]: v }))}::jsonb)` : `(${t.text} = ${p.add(String(v))}::text)`;
    case 'in': {
      const list = v as unknown[];
      if ('column' in t && list.length <= MAX_OR_EXPANSION) return `(${list.map((x) => `${t.column} @> ${p.add(json({ [t.key]: x }))}::jsonb`).join(' OR ')})`;
      return 'column' in t
        ? `(${t.column} @> ANY(${p.add(list.map((x) => json({ [t.key]: x })))}::jsonb[]))`
        : `(${t.text} = ANY(${p.add(list.map(String))}::text[]))`;
    }
    case 'contains': {
      // A list holding the element, or a string holding the text. When the catalog says every value of the
      // trait is a list (or a string), the other branch cannot match and is left out: a lone containment is
      // what the GIN index serves. Per-profile runs keep both (no index is needed to read a few profiles).
      const types = 'column' in t && t.field && ctx.setBased ? ctx.types?.(t.field, t.key) : undefined;
      const onlyLists = types !== undefined && types.size > 0 && [...types].every((x) => x === 'array');
      const onlyStrings = types !== undefined && types.size > 0 && [...types].every((x) => x === 'string' || x === 'date');
      if ('column' in t && onlyLists) return `(${t.column} @> ${p.add(json({ [t.key]: [v] }))}::jsonb)`;
      const x = jsonbOf(t, p);
      const substring = `strpos(lower(${x} #>> '{}'), lower(${p.add(String(v))}::text)) > 0`;
      if (onlyStrings) return `((jsonb_typeof(${x}) = 'string' AND ${substring}) IS TRUE)`;
      return `(CASE jsonb_typeof(${x}) WHEN 'string' THEN ${substring}
               WHEN 'array' THEN ${x} @> jsonb_build_array(${p.add(json(v))}::jsonb) ELSE false END)`;
    }
    case 'starts_with': {
      const x = jsonbOf(t, p);
      return `((jsonb_typeof(${x}) = 'string' AND starts_with(lower(${x} #>> '{}'), lower(${p.add(v)}::text))) IS TRUE)`;
    }
    case 'ends_with': {
      const x = jsonbOf(t, p);
      const s = p.add(v);
      return `((jsonb_typeof(${x}) = 'string' AND right(lower(${x} #>> '{}'), length(lower(${s}::text))) = lower(${s}::text)) IS TRUE)`;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
    case 'between': {
      const sqlOp = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
      if (isNumberList(v)) {
        const x = jsonbOf(t, p);
        const test =
          c.op === 'between'
            ? `${x} >= ${p.add(json((v as number[])[0]))}::jsonb AND ${x} <= ${p.add(json((v as number[])[1]))}::jsonb`
            : `${x} ${sqlOp[c.op]} ${p.add(json(v))}::jsonb`;
        return `((jsonb_typeof(${x}) = 'number' AND ${test}) IS TRUE)`;
      }
      const text = textOf(t, p);
      if (c.op === 'between') {
        const [low, high] = v as string[];
        return dateComparison(text, [{ op: '>=', bound: `${p.add(low)}::timestamptz` }, { op: '<=', bound: `${p.add(high)}::timestamptz` }]);
      }
      return dateComparison(text, [{ op: sqlOp[c.op], bound: `${p.add(v)}::timestamptz` }]);
    }
    case 'before':
    case 'after':
      return dateComparison(textOf(t, p), [{ op: c.op === 'before' ? '<' : '>', bound: `${p.add(v)}::timestamptz` }]);
    case 'within_last':
      return dateComparison(textOf(t, p), [{ op: '>=', bound: `now() - ${p.add(v)}::interval` }]);
    case 'more_than_ago':
      return dateComparison(textOf(t, p), [{ op: '<', bound: `now() - ${p.add(v)}::interval` }]);
    default:
      throw new Error(`negated operator ${c.op} reached positiveComparison`);
  }
}

/** Splits an operator into its positive form and whether the result is negated. */
function polarity(c: Comparison): { positive: Comparison; negated: boolean } {
  const positiveOp = NEGATED_OPERATORS[c.op];
  return positiveOp ? { positive: { op: positiveOp, value: c.value }, negated: true } : { positive: c, negated: false };
}

function comparison(c: Comparison, t: Target, ctx: Context): string {
  const { positive, negated } = polarity(c);
  const sql = positiveComparison(positive, t, ctx);
  return negated ? `(NOT ${sql})` : sql;
}

/** Resolves segment ids to their definitions while compiling (same workspace only). */
export type SegmentResolver = (segmentId: string) => SegmentCondition | undefined;

export interface CompileOptions {
  /** Restrict to these profiles (an incremental run): the per-profile form of every leaf. */
  profileIds?: string[];
  /** The first `limit` matches in creation order (previews). */
  limit?: number;
  /** The id of the segment being compiled, so that a reference back to it is refused as a cycle. */
  selfId?: string;
  /** The workspace's observed trait types, which let some leaves take an index-friendly form. */
  types?: ObservedTypes;
}

/**
 * Compiles a condition tree into one parameterized statement selecting the ids of a workspace's live
 * profiles that match (restricted to `profileIds` for an incremental run). Correlated leaves (events,
 * identities, consent, accounts) are subqueries by profile id, served by the per-profile indexes; over
 * a whole workspace, event leaves also name the workspace so that the (workspace_id, type, occurred_at)
 * index can cut the window. Membership of another segment is inlined (so it is always current); a
 * cycle is refused.
 */
export function compileSegment(workspaceId: string, definition: SegmentCondition, resolve: SegmentResolver, options: CompileOptions = {}): CompiledSegment {
  const p = new Params();
  const ws = p.add(workspaceId);
  const ctx: Context = { p, resolve, ws, setBased: options.profileIds === undefined, types: options.types };
  const condition = compileCondition(definition, ctx, options.selfId ? [options.selfId] : []);
  let sql = `SELECT p.id FROM profiles p WHERE p.workspace_id = ${ws}::uuid AND p.merged_into IS NULL AND ${condition}`;
  // A semi-join from the changed ids (not a `= ANY` filter, which is rescanned for every candidate row):
  // the plan starts from the batch and looks each profile up by primary key.
  if (options.profileIds) sql += ` AND p.id IN (SELECT unnest(${p.add(options.profileIds)}::uuid[]))`;
  if (options.limit !== undefined) sql += ` ORDER BY p.created_seq LIMIT ${p.add(options.limit)}`;
  return { sql, params: p.values };
}

/**
 * Several segments evaluated over the same profiles in one statement: `SELECT p.id, (c0) AS m0, (c1) AS
 * m1, …` over the live profiles among `profileIds`, each profile read once whatever the number of
 * segments. This is what an incremental run executes after an ingest batch.
 */
export function compileSegmentsForProfiles(
  workspaceId: string,
  segments: { id: string; definition: SegmentCondition }[],
  resolve: SegmentResolver,
  profileIds: string[],
): CompiledSegment {
  const p = new Params();
  const ws = p.add(workspaceId);
  const ctx: Context = { p, resolve, ws, setBased: false };
  const columns = segments.map((s, i) => `${compileCondition(s.definition, ctx, [s.id])} AS m${i}`);
  const ids = p.add(profileIds);
  return {
    sql: `SELECT p.id${columns.map((c) => `, ${c}`).join('')} FROM profiles p
          WHERE p.workspace_id = ${ws}::uuid AND p.merged_into IS NULL AND p.id IN (SELECT unnest(${ids}::uuid[]))`,
    params: p.values,
  };
}

/**
 * `setBased`: the statement runs over the whole workspace, so leaves that aggregate child rows (event
 * counts, latest consent) are written as one grouped, uncorrelated subquery over the workspace (the
 * (workspace_id, type, occurred_at) index) instead of one correlated subquery per profile; restricted
 * to a batch of profile ids, they stay per profile (the per-profile indexes).
 */
interface Context {
  p: Params;
  resolve: SegmentResolver;
  ws: string;
  setBased: boolean;
  types?: ObservedTypes;
}

/**
 * `EXISTS (SELECT 1 <from>)` about the profile `p`. For a batch of profiles, `OFFSET 0` keeps it one
 * index probe per profile: without it the planner may hash the subquery's whole result instead (every
 * person linked to a software account, say: a scan of all account links), the better plan over a
 * workspace and a much worse one for a thousand profiles.
 */
const correlatedExists = (from: string, ctx: Context) => `EXISTS (SELECT 1 ${from}${ctx.setBased ? '' : ' OFFSET 0'})`;

function compileCondition(node: SegmentCondition, ctx: Context, stack: string[]): string {
  const { p, resolve, ws } = ctx;
  const n = node as Record<string, unknown>;
  if ('all' in n) {
    const children = n.all as SegmentCondition[];
    const { grouped, rest } = ctx.setBased ? groupEventLeaves(children, ctx) : { grouped: [], rest: children };
    return `(${[...grouped, ...rest.map((c) => compileCondition(c, ctx, stack))].join(' AND ')})`;
  }
  if ('any' in n) return `(${(n.any as SegmentCondition[]).map((c) => compileCondition(c, ctx, stack)).join(' OR ')})`;
  if ('not' in n) return `(NOT ${compileCondition(n.not as SegmentCondition, ctx, stack)})`;
  if ('trait' in n) return comparison(n as unknown as Comparison, { column: 'p.traits', key: n.trait as string, field: 'traits' }, ctx);
  if ('computed' in n) return comparison(n as unknown as Comparison, { column: 'p.computed', key: n.computed as string, field: 'computed' }, ctx);
  if ('accountTrait' in n) {
    const { positive, negated } = polarity(n as unknown as Comparison);
    const sql = correlatedExists(
      `FROM account_links l JOIN profiles a ON a.id = l.account_id
                 WHERE l.person_id = p.id AND a.merged_into IS NULL AND ${positiveComparison(positive, { column: 'a.traits', key: n.accountTrait as string }, ctx)}`,
      ctx,
    );
    return negated ? `(NOT ${sql})` : sql;
  }
  if ('identity' in n) {
    const { positive, negated } = polarity(n as unknown as Comparison);
    const type = p.add(n.identity);
    // An exact value is looked up through the unique (workspace_id, type, value) index, uncorrelated.
    const sql =
      positive.op === 'eq' || positive.op === 'in'
        ? `p.id IN (SELECT i.profile_id FROM identities i WHERE i.workspace_id = ${ws}::uuid AND i.type = ${type}::text AND ${positiveComparison(positive, { text: 'i.value' }, ctx)})`
        : correlatedExists(`FROM identities i WHERE i.profile_id = p.id AND i.type = ${type}::text${positive.op === 'exists' ? '' : ` AND ${positiveComparison(positive, { text: 'i.value' }, ctx)}`}`, ctx);
    return negated ? `(NOT ${sql})` : sql;
  }
  if ('event' in n) return compileEvent(n as unknown as EventCondition, ctx);
  if ('consent' in n) {
    // The latest statement per purpose wins; on a tie, a refusal.
    const latest = ctx.setBased
      ? `(p.id IN (SELECT l.profile_id FROM (SELECT DISTINCT ON (c.profile_id) c.profile_id, c.granted FROM consents c
           WHERE c.workspace_id = ${ws}::uuid AND c.purpose = ${p.add(n.consent)}::text ORDER BY c.profile_id, c.at DESC, c.granted) l WHERE l.granted))`
      : `coalesce((SELECT c.granted FROM consents c WHERE c.profile_id = p.id AND c.purpose = ${p.add(n.consent)}::text ORDER BY c.at DESC, c.granted LIMIT 1), false)`;
    return n.granted ? `(${latest})` : `(NOT ${latest})`;
  }
  if ('persona' in n) return `(p.persona_id IS NOT DISTINCT FROM ${p.add(n.persona)}::uuid)`;
  if ('typology' in n) return `(p.typology IS NOT DISTINCT FROM ${p.add(n.typology)}::text)`;
  if ('segment' in n) {
    const id = n.segment as string;
    if (stack.includes(id)) throw new SegmentException('SEGMENT_CYCLE', `segments refer to each other in a cycle: ${[...stack, id].join(' → ')}`, [{ field: 'segment', message: 'this segment refers back to itself' }]);
    const inner = resolve(id);
    if (!inner) throw new SegmentException('SEGMENT_NOT_FOUND', `segment ${id} does not exist`, [{ field: 'segment', message: 'no such segment in this workspace' }]);
    return compileCondition(inner, ctx, [...stack, id]);
  }
  throw new SegmentException('INVALID_SEGMENT', 'a condition has no known kind', [{ field: '(root)', message: 'unknown condition' }]);
}

const COUNT_OPS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/**
 * Over a whole workspace, sibling event leaves of an `all` on the same event type (`ordered, but not in
 * the last 60 days`) are one grouped pass over that type's events instead of one pass each: the
 * profiles whose events of the type satisfy every leaf's count, each counted with its own window and
 * property filters. Only when one leaf needs at least one event (so a profile without any cannot
 * match, and is rightly absent from the grouping); leaves with `between` keep their own pass. The scan
 * starts at the earliest window when every leaf has one.
 */
function groupEventLeaves(children: SegmentCondition[], ctx: Context): { grouped: string[]; rest: SegmentCondition[] } {
  const byType = new Map<string, EventCondition[]>();
  for (const child of children) {
    const leaf = child as Partial<EventCondition>;
    if (typeof leaf.event !== 'string' || leaf.between) continue;
    byType.set(leaf.event, [...(byType.get(leaf.event) ?? []), child as EventCondition]);
  }
  const merged = new Set<SegmentCondition>();
  const grouped: string[] = [];
  for (const [type, leaves] of byType) {
    const counts = leaves.map((l) => l.count ?? { op: 'gte' as const, value: 1 });
    if (leaves.length < 2 || counts.every((c) => countHolds(c.op, 0, c.value))) continue;
    const { p } = ctx;
    const windowOf = (l: EventCondition) => `now() - ${p.add(l.within)}::interval`;
    const since = leaves.every((l) => l.within) ? ` AND e.occurred_at >= LEAST(${leaves.map(windowOf).join(', ')})` : '';
    const having = leaves.map((l, i) => {
      const filters = [...(l.within ? [`e.occurred_at >= ${windowOf(l)}`] : []), ...(l.where ?? []).map((w) => comparison(w, { column: 'e.properties', key: w.property }, ctx))];
      const counted = filters.length ? `count(*) FILTER (WHERE ${filters.join(' AND ')})` : 'count(*)';
      return `${counted} ${COUNT_OPS[counts[i]!.op]} ${p.add(counts[i]!.value)}`;
    });
    grouped.push(
      `p.id IN (SELECT e.profile_id FROM events e WHERE e.workspace_id = ${ctx.ws}::uuid AND e.type = ${p.add(type)}::text${since}
                GROUP BY e.profile_id HAVING ${having.join(' AND ')})`,
    );
    for (const leaf of leaves) merged.add(leaf);
  }
  return { grouped, rest: children.filter((c) => !merged.has(c)) };
}
const countHolds = (op: keyof typeof COUNT_OPS, count: number, value: number) =>
  op === 'eq' ? count === value : op === 'neq' ? count !== value : op === 'gt' ? count > value : op === 'gte' ? count >= value : op === 'lt' ? count < value : count <= value;

/**
 * Events of one type, in a window, with property filters, counted. Per profile: EXISTS / a counted
 * subquery on the (profile_id, occurred_at) index, stopping at the threshold. Set-based (a whole
 * workspace): the profiles whose count satisfies the comparison, grouped once; when zero events
 * satisfy it too, the complement of those whose count does not.
 */
function compileEvent(e: EventCondition, ctx: Context): string {
  const { p } = ctx;
  const count = e.count ?? { op: 'gte', value: 1 };
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
    const holds = `count(*) ${COUNT_OPS[count.op]} ${p.add(count.value)}`;
    const grouped = (having: string) =>
      `p.id IN (SELECT e.profile_id FROM events e WHERE e.workspace_id = ${ctx.ws}::uuid AND ${filters.join(' AND ')} GROUP BY e.profile_id HAVING ${having})`;
    return zeroMatches ? `(NOT ${grouped(`NOT (${holds})`)})` : `(${grouped(holds)})`;
  }
  const from = `FROM events e WHERE e.profile_id = p.id AND ${filters.join(' AND ')}`;
  if (atLeast !== undefined) return `((SELECT count(*) FROM (SELECT 1 ${from} LIMIT ${p.add(atLeast)}) x) >= ${p.add(atLeast)})`;
  return `((SELECT count(*) ${from}) ${COUNT_OPS[count.op]} ${p.add(count.value)})`;
}
