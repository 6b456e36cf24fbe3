import type { z } from 'zod';
import type { computedTraitDefinitionSchema } from './computed-trait.definition.js';

type Definition = z.output<typeof computedTraitDefinitionSchema>;

/**
 * Compiles computed-trait definitions into one parameterized subquery yielding `computed` for the
 * profile `p` of the enclosing query (used LATERAL, so each profile's events are read by index). Every name and value is a parameter; only the query's shape
 * comes from the definitions. Params: $1 workspace, $2 profile ids, then ours from `$firstParam`.
 */
export function compileComputedTraits(definitions: Definition[], firstParam = 3): { query: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length + firstParam - 1}::${cast}`;
  };
  const num = (property: string) => {
    const prop = p(property, 'text');
    return `CASE WHEN jsonb_typeof(e.properties -> ${prop}) = 'number' THEN (e.properties ->> ${prop})::numeric END`;
  };
  const iso = (expr: string) => `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

  const pairs = definitions.map((d) => {
    const typeFilter = [`e.type = ${p(d.event, 'text')}`];
    if (d.within) {
      const days = Number(d.within.slice(1, -1)) * (d.within.endsWith('W') ? 7 : 1);
      typeFilter.push(`e.occurred_at >= now() - make_interval(days => ${p(days, 'int')})`);
    }
    const whereFilter = d.where.map((w) => {
      const prop = p(w.property, 'text');
      switch (w.op) {
        case 'exists':
          return `(e.properties ? ${prop} AND jsonb_typeof(e.properties -> ${prop}) <> 'null')`;
        case 'missing':
          return `NOT (e.properties ? ${prop} AND jsonb_typeof(e.properties -> ${prop}) <> 'null')`;
        default: {
          const sqlOp = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[w.op];
          return typeof w.value === 'number'
            ? `(CASE WHEN jsonb_typeof(e.properties -> ${prop}) = 'number' THEN (e.properties ->> ${prop})::numeric END) ${sqlOp} ${p(w.value, 'numeric')}`
            : `(e.properties ->> ${prop}) ${sqlOp} ${p(String(w.value), 'text')}`;
        }
      }
    });
    const base = typeFilter.join(' AND ');
    const filtered = [...typeFilter, ...whereFilter].join(' AND ');
    let expr: string;
    switch (d.aggregation) {
      case 'count':
        expr = `count(*) FILTER (WHERE ${filtered})`;
        break;
      case 'sum':
        expr = `coalesce(sum(${num(d.property!)}) FILTER (WHERE ${filtered}), 0)`;
        break;
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
      case 'days_since':
        expr = `floor(extract(epoch FROM now() - max(e.occurred_at) FILTER (WHERE ${filtered})) / 86400)::int`;
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
