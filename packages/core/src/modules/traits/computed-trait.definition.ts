import { z } from 'zod';
import { EVENT_TYPE, TRAIT_KEY } from '@portrait/connector-sdk';

/**
 * A computed trait: an aggregation over a profile's events of one type, optionally filtered on
 * properties and limited to a trailing time window.
 *   count | sum | avg | min | max   — of events, or of a numeric property
 *   first | last                     — the earliest / latest occurrence time (or a property's value then)
 *   share                            — share (0–1) of the events of the type that also match `where`
 *   days_since                       — whole days since the latest matching event
 */
export const computedTraitDefinitionSchema = z
  .object({
    key: z.string().regex(TRAIT_KEY),
    description: z.string().optional(),
    aggregation: z.enum(['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'share', 'days_since']),
    event: z.string().regex(EVENT_TYPE),
    property: z.string().min(1).max(128).optional(),
    where: z
      .array(
        z.object({
          property: z.string().min(1).max(128),
          op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'exists', 'missing']),
          value: z.union([z.string(), z.number(), z.boolean()]).optional(),
        }),
      )
      .default([]),
    /** Trailing window as an ISO-8601 duration of days or weeks: P30D, P12W. */
    within: z.string().regex(/^P\d{1,5}[DW]$/, 'must be an ISO-8601 duration of days or weeks, e.g. P30D').optional(),
  })
  .superRefine((d, ctx) => {
    if (['sum', 'avg', 'min', 'max'].includes(d.aggregation) && !d.property) {
      ctx.addIssue({ code: 'custom', path: ['property'], message: `${d.aggregation} needs a numeric property` });
    }
    if (d.aggregation === 'share' && d.where.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['where'], message: 'share needs a where condition' });
    }
    for (const [i, w] of d.where.entries()) {
      if (!['exists', 'missing'].includes(w.op) && w.value === undefined) {
        ctx.addIssue({ code: 'custom', path: ['where', i, 'value'], message: `${w.op} needs a value` });
      }
    }
  });

export type ComputedTraitDefinition = z.input<typeof computedTraitDefinitionSchema>;

/** The computed traits every workspace has unless it overrides them (same key replaces). */
export const DEFAULT_COMPUTED_TRAITS: ComputedTraitDefinition[] = [
  { key: 'lifetime_value', aggregation: 'sum', event: 'order_placed', property: 'total', description: 'Sum of order totals' },
  { key: 'orders_count', aggregation: 'count', event: 'order_placed', description: 'Number of orders' },
  { key: 'avg_order_value', aggregation: 'avg', event: 'order_placed', property: 'total', description: 'Average order total' },
  { key: 'first_order_at', aggregation: 'first', event: 'order_placed', description: 'When the first order was placed' },
  { key: 'last_order_at', aggregation: 'last', event: 'order_placed', description: 'When the latest order was placed' },
  { key: 'days_since_last_order', aggregation: 'days_since', event: 'order_placed', description: 'Whole days since the latest order' },
  { key: 'refunds_count', aggregation: 'count', event: 'order_refunded', description: 'Number of refunds' },
  {
    key: 'discount_order_share',
    aggregation: 'share',
    event: 'order_placed',
    where: [{ property: 'discount_total', op: 'gt', value: 0 }],
    description: 'Share of orders with a discount',
  },
];

export function resolveComputedTraits(overrides: ComputedTraitDefinition[] | undefined): z.output<typeof computedTraitDefinitionSchema>[] {
  const byKey = new Map<string, ComputedTraitDefinition>();
  for (const d of [...DEFAULT_COMPUTED_TRAITS, ...(overrides ?? [])]) byKey.set(d.key, d);
  return [...byKey.values()].map((d) => computedTraitDefinitionSchema.parse(d));
}
