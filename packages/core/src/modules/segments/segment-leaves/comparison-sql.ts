import type { ObservedTypes } from '../segment-catalog.service.js';
import type { SegmentResolver } from '../segment-compiler.js';
import { NEGATED_OPERATORS, type Comparison } from '../segment-definition.js';

/**
 * The SQL that leaves share: parameters, comparisons of a value against an operator (on a key of a
 * jsonb column or on a text expression), correlated subqueries about the profile `p`.
 */

/** Collects parameters; `add` answers the placeholder. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Where the compared value lives: a key of a jsonb column (traits, computed, properties), or a text expression. */
export type Target = { column: string; key: string; field?: 'traits' | 'computed' } | { text: string };

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
export function positiveComparison(c: Comparison, t: Target, ctx: CompileContext): string {
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
export function polarity(c: Comparison): { positive: Comparison; negated: boolean } {
  const positiveOp = NEGATED_OPERATORS[c.op];
  return positiveOp ? { positive: { op: positiveOp, value: c.value }, negated: true } : { positive: c, negated: false };
}

export function comparison(c: Comparison, t: Target, ctx: CompileContext): string {
  const { positive, negated } = polarity(c);
  const sql = positiveComparison(positive, t, ctx);
  return negated ? `(NOT ${sql})` : sql;
}

/**
 * `setBased`: the statement runs over the whole workspace, so leaves that aggregate child rows (event
 * counts, latest consent) are written as one grouped, uncorrelated subquery over the workspace (the
 * (workspace_id, type, occurred_at) index) instead of one correlated subquery per profile; restricted
 * to a batch of profile ids, they stay per profile (the per-profile indexes).
 */
export interface CompileContext {
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
export const correlatedExists = (from: string, ctx: CompileContext) => `EXISTS (SELECT 1 ${from}${ctx.setBased ? '' : ' OFFSET 0'})`;

