import type { z } from 'zod';
import type { computedTraitDefinitionSchema } from './computed-trait.definition.js';

type Definition = z.output<typeof computedTraitDefinitionSchema>;
type Where = Definition['where'];

/**
 * Compiles computed-trait definitions into one parameterized subquery yielding `computed` for the
 * profile `p` of the enclosing query (used LATERAL, so each profile's events are read by index). Every name and value is a parameter; only the query's shape
 * comes from the definitions. Params: $1 workspace, $2 profile ids, then ours from `$firstParam`.
 * What moves with the clock (`days_since`, trailing windows) is measured from `now`, a parameter too,
 * so that the time comes from the process's `Clock` rather than from the database server.
 */
export function compileComputedTraits(definitions: Definition[], firstParam = 3, now: Date = new Date()): { query: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length + firstParam - 1}::${cast}`;
  };
  let nowParam: string | undefined;
  const at = () => (nowParam ??= p(now.toISOString(), 'timestamptz'));
  // A JSON number read from its exact decimal text into numeric: never through a float.
  const numOf = (json: string, prop: string) => `CASE WHEN jsonb_typeof(${json} -> ${prop}) = 'number' THEN (${json} ->> ${prop})::numeric END`;
  const num = (property: string, alias = 'e') => numOf(`${alias}.properties`, p(property, 'text'));
  const iso = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const windowOf = (d: Definition, alias: string) => {
    if (!d.within) return [];
    const days = Number(d.within.slice(1, -1)) * (d.within.endsWith('W') ? 7 : 1);
    return [`${alias}.occurred_at >= ${at()} - make_interval(days => ${p(days, 'int')})`];
  };
  const conditions = (where: Where, alias: string) =>
    where.map((w) => {
      const prop = p(w.property, 'text');
      const props = `${alias}.properties`;
      switch (w.op) {
        case 'exists':
          return `(${props} ? ${prop} AND jsonb_typeof(${props} -> ${prop}) <> 'null')`;
        case 'missing':
          return `NOT (${props} ? ${prop} AND jsonb_typeof(${props} -> ${prop}) <> 'null')`;
        default: {
          const sqlOp = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[w.op];
          return typeof w.value === 'number' ? `(${numOf(props, prop)}) ${sqlOp} ${p(w.value, 'numeric')}` : `(${props} ->> ${prop}) ${sqlOp} ${p(String(w.value), 'text')}`;
        }
      }
    });
  /** The events a definition counts: `base` its type and window, `filtered` with its where conditions too. */
  const filtersOf = (d: Definition, alias: string) => {
    const typeFilter = [`${alias}.type = ${p(d.event, 'text')}`, ...windowOf(d, alias)];
    return { base: typeFilter.join(' AND '), filtered: [...typeFilter, ...conditions(d.where, alias)].join(' AND ') };
  };

  const pairs = definitions.map((d) => {
    const { base, filtered } = filtersOf(d, 'e');
    let expr: string;
    switch (d.aggregation) {
      case 'count':
        expr = `count(*) FILTER (WHERE ${filtered})`;
        break;
      case 'sum': {
        // numeric all the way: exact to the cent, whatever the number of orders.
        expr = `coalesce(sum(${num(d.property!)}) FILTER (WHERE ${filtered}), 0)`;
        if (d.minus) {
          const minus = [`e.type = ${p(d.minus.event, 'text')}`, ...windowOf(d, 'e'), ...conditions(d.minus.where, 'e')].join(' AND ');
          // Same scan of the profile's events: the subtracted sum is one more FILTERed aggregate.
          // Not clamped at zero: refunds of orders placed before the synced history make it negative, and say so.
          expr = `${expr} - coalesce(sum(${num(d.minus.property)}) FILTER (WHERE ${minus}), 0)`;
        }
        break;
      }
      case 'avg':
        expr = `round(avg(${num(d.property!)}) FILTER (WHERE ${filtered}), 4)`;
        break;
      case 'min':
      case 'max':
        expr = `${d.aggregation}(${num(d.property!)}) FILTER (WHERE ${filtered})`;
        break;
      case 'first':
      case 'last': {
        const order = d.aggregation === 'first' ? 'ASC' : 'DESC';
        expr = d.property
          ? `(array_agg(e.properties -> ${p(d.property, 'text')} ORDER BY e.occurred_at ${order}, e.id ${order}) FILTER (WHERE ${filtered}))[1]`
          : iso(`${d.aggregation === 'first' ? 'min' : 'max'}(e.occurred_at) FILTER (WHERE ${filtered})`);
        break;
      }
      case 'share':
        expr = `round((count(*) FILTER (WHERE ${filtered}))::numeric / nullif(count(*) FILTER (WHERE ${base}), 0), 4)`;
        break;
      case 'ratio': {
        // Same scan: the events below the line are one more FILTERed count, in the same window.
        const per = [`e.type = ${p(d.per!.event, 'text')}`, ...windowOf(d, 'e'), ...conditions(d.per!.where, 'e')].join(' AND ');
        expr = `round((count(*) FILTER (WHERE ${filtered}))::numeric / nullif(count(*) FILTER (WHERE ${per}), 0), 4)`;
        break;
      }
      case 'days_since':
        expr = `floor(extract(epoch FROM ${at()} - max(e.occurred_at) FILTER (WHERE ${filtered})) / 86400)::int`;
        break;
      case 'mode':
        expr = modeOf(d, filtered, p, numOf);
        break;
    }
    return `${p(d.key, 'text')}, to_jsonb(${expr})`;
  });

  // jsonb_build_object takes at most 100 arguments: build in chunks and concatenate.
  const chunks: string[] = [];
  for (let i = 0; i < pairs.length; i += 40) chunks.push(`jsonb_build_object(${pairs.slice(i, i + 40).join(', ')})`);
  const computed = chunks.length ? `jsonb_strip_nulls(${chunks.join(' || ')})` : `'{}'::jsonb`;

  const query = `
      SELECT ${computed} AS computed
      FROM events e
      WHERE e.profile_id = p.id`;
  return { query, params };
}

/**
 * The most frequent value, from the same scan of the profile's events as every other aggregate: the
 * events' `items` arrays (or the events themselves) are gathered by an aggregate of the enclosing query
 * (`array_agg` over `e`, evaluated at that level), and the subquery unnests them set-based, groups by
 * value and sums the weights. Elements without a string or number value are not counted; a weight that
 * is absent or not a number counts 1, a weight ≤ 0 nothing. Ties go to the value first in byte order
 * (`COLLATE "C"`), the same on every server whatever its locale.
 */
function modeOf(d: Definition, filtered: string, p: (value: unknown, cast: string) => string, numOf: (json: string, prop: string) => string): string {
  let elements: string;
  if (d.items) {
    const items = p(d.items, 'text');
    const gathered = `array_agg(e.properties -> ${items}) FILTER (WHERE ${filtered} AND jsonb_typeof(e.properties -> ${items}) = 'array')`;
    elements = `unnest(${gathered}) AS o(items) CROSS JOIN LATERAL jsonb_array_elements(o.items) AS x(item)`;
  } else {
    elements = `unnest(array_agg(e.properties) FILTER (WHERE ${filtered})) AS x(item)`;
  }
  const prop = p(d.property!, 'text');
  const value = `CASE WHEN jsonb_typeof(x.item -> ${prop}) IN ('string', 'number') THEN nullif(x.item ->> ${prop}, '') END`;
  const weight = d.weight ? `coalesce(${numOf('x.item', p(d.weight, 'text'))}, 1)` : '1';
  return `(SELECT v.value FROM ${elements}
            CROSS JOIN LATERAL (SELECT ${value} AS value, ${weight} AS weight) v
            WHERE v.value IS NOT NULL AND v.weight > 0
            GROUP BY v.value ORDER BY sum(v.weight) DESC, v.value COLLATE "C" LIMIT 1)`;
}
