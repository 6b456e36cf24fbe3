import { z } from 'zod';
import { EVENT_TYPE, TRAIT_KEY } from '@portrait/connector-sdk';

/**
 * A computed trait: an aggregation over a profile's events of one type, optionally filtered on
 * properties and limited to a trailing time window.
 *   count | sum | avg | min | max   — of events, or of a numeric property
 *   first | last                     — the earliest / latest occurrence time (or a property's value then)
 *   share                            — share (0–1) of the events of the type that also match `where`
 *   days_since                       — whole days since the latest matching event
 *   ratio                            — events of the type per event of another type (`per`), in the
 *                                      same window: opens per e-mail sent, clicks per send
 *   mode                             — the most frequent value of `property`, either on the events or
 *                                      on the elements of their `items` array (line items), each
 *                                      counted `weight` times (a numeric property of the element)
 *
 * A `sum` can take `minus`: the sum of another event type's property is subtracted (net revenue =
 * orders − refunds). Sums are `numeric` end to end — JSON numbers are read from their exact decimal
 * text, added as numeric and stored as jsonb numerics — so money adds up to the cent (0.1 + 0.2 is
 * 0.3) and nothing is rounded: only `avg` and `share` round, because their division forces it.
 */
const PROPERTY = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

const whereSchema = z
  .array(
    z.object({
      property: PROPERTY,
      op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'exists', 'missing'], { error: 'must be one of eq, neq, gt, gte, lt, lte, exists, missing' }),
      value: z.union([z.string(), z.number(), z.boolean()]).optional(),
    }),
  )
  .default([]);

type WhereConditions = z.output<typeof whereSchema>;

export const computedTraitDefinitionSchema = z
  .object({
    key: z.string({ error: 'must be a string' }).regex(TRAIT_KEY, 'must be a trait key, e.g. orders_last_30_days'),
    description: z.string({ error: 'must be a string' }).max(500, 'must be at most 500 characters').optional(),
    aggregation: z.enum(['count', 'sum', 'avg', 'min', 'max', 'first', 'last', 'share', 'ratio', 'days_since', 'mode'], {
      error: 'must be one of count, sum, avg, min, max, first, last, share, ratio, days_since, mode',
    }),
    event: z.string().regex(EVENT_TYPE, 'must be lower snake case, e.g. order_placed'),
    property: PROPERTY.optional(),
    where: whereSchema,
    /** Trailing window as an ISO-8601 duration of days or weeks: P30D, P12W. */
    within: z.string().regex(/^P\d{1,5}[DW]$/, 'must be an ISO-8601 duration of days or weeks, e.g. P30D').optional(),
    /** `sum` only: subtract the sum of this event type's numeric property (same window), e.g. refunds. */
    minus: z
      .object({
        event: z.string().regex(EVENT_TYPE, 'must be lower snake case, e.g. order_refunded'),
        property: PROPERTY,
        where: whereSchema,
      })
      .optional(),
    /** `ratio` only: the events counted below the line (same window), e.g. `email_sent`. */
    per: z
      .object({
        event: z.string().regex(EVENT_TYPE, 'must be lower snake case, e.g. email_sent'),
        where: whereSchema,
      })
      .optional(),
    /** `mode` only: the events' array property whose elements are counted (e.g. `line_items`). */
    items: PROPERTY.optional(),
    /** `mode` only: numeric property (of the element, or of the event without `items`) counting each one that many times; 1 when absent. */
    weight: PROPERTY.optional(),
  })
  .superRefine((d, ctx) => {
    if (['sum', 'avg', 'min', 'max'].includes(d.aggregation) && !d.property) {
      ctx.addIssue({ code: 'custom', path: ['property'], message: `${d.aggregation} needs a numeric property` });
    }
    if (d.aggregation === 'mode' && !d.property) {
      ctx.addIssue({ code: 'custom', path: ['property'], message: 'mode needs the property whose most frequent value it finds' });
    }
    if (d.aggregation === 'share' && d.where.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['where'], message: 'share needs a where condition' });
    }
    if (d.aggregation === 'ratio' && !d.per) {
      ctx.addIssue({ code: 'custom', path: ['per'], message: 'ratio needs per: the event type it divides by' });
    }
    if (d.per && d.aggregation !== 'ratio') {
      ctx.addIssue({ code: 'custom', path: ['per'], message: `per applies to ratio only, not to ${d.aggregation}` });
    }
    if (d.minus && d.aggregation !== 'sum') {
      ctx.addIssue({ code: 'custom', path: ['minus'], message: `minus applies to sum only, not to ${d.aggregation}` });
    }
    for (const field of ['items', 'weight'] as const) {
      if (d[field] !== undefined && d.aggregation !== 'mode') {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} applies to mode only, not to ${d.aggregation}` });
      }
    }
    const checkWhere = (where: WhereConditions, path: (string | number)[]) => {
      for (const [i, w] of where.entries()) {
        if (!['exists', 'missing'].includes(w.op) && w.value === undefined) {
          ctx.addIssue({ code: 'custom', path: [...path, i, 'value'], message: `${w.op} needs a value` });
        }
      }
    };
    checkWhere(d.where, ['where']);
    if (d.minus) checkWhere(d.minus.where, ['minus', 'where']);
    if (d.per) checkWhere(d.per.where, ['per', 'where']);
  });

export type ComputedTraitDefinition = z.input<typeof computedTraitDefinitionSchema>;

/** The computed traits every workspace has unless it overrides them (same key replaces). */
export const DEFAULT_COMPUTED_TRAITS: ComputedTraitDefinition[] = [
  {
    key: 'lifetime_value',
    aggregation: 'sum',
    event: 'order_placed',
    property: 'total',
    minus: { event: 'order_refunded', property: 'amount' },
    description: 'Sum of order totals minus the amounts refunded',
  },
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
  {
    key: 'favourite_product_type',
    aggregation: 'mode',
    event: 'order_placed',
    items: 'line_items',
    property: 'product_type',
    weight: 'quantity',
    description: 'The product type bought most (by quantity, across all orders); ties go to the type that sorts first',
  },
  { key: 'last_email_open_at', aggregation: 'last', event: 'email_opened', description: 'When a campaign e-mail was last opened' },
  { key: 'last_email_click_at', aggregation: 'last', event: 'email_clicked', description: 'When a link in a campaign e-mail was last clicked' },
  { key: 'last_clicked_link', aggregation: 'last', event: 'email_clicked', property: 'url', description: 'The link of the latest click in a campaign e-mail' },
  { key: 'email_opens_30d', aggregation: 'count', event: 'email_opened', within: 'P30D', description: 'Campaign e-mails opened in the last 30 days' },
  {
    key: 'email_open_rate_90d',
    aggregation: 'ratio',
    event: 'email_opened',
    per: { event: 'email_sent' },
    within: 'P90D',
    description: 'Opens per campaign e-mail sent, over the last 90 days',
  },
  { key: 'email_clicks_per_send', aggregation: 'ratio', event: 'email_clicked', per: { event: 'email_sent' }, description: 'Link clicks per campaign e-mail sent' },
];

export function resolveComputedTraits(overrides: ComputedTraitDefinition[] | undefined): z.output<typeof computedTraitDefinitionSchema>[] {
  const byKey = new Map<string, ComputedTraitDefinition>();
  for (const d of [...DEFAULT_COMPUTED_TRAITS, ...(overrides ?? [])]) byKey.set(d.key, d);
  return [...byKey.values()].map((d) => computedTraitDefinitionSchema.parse(d));
}

/** Whether a definition's value moves with the clock (whole days since, a trailing window), so that it must be refreshed on a schedule. */
export function dependsOnClock(definition: Pick<ComputedTraitDefinition, 'aggregation' | 'within'>): boolean {
  return definition.aggregation === 'days_since' || definition.within !== undefined;
}
