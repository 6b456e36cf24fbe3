import type { SegmentCondition } from '../../segments/segment-definition.js';

/**
 * The features persona discovery clusters people on, and how each is read, shown and turned into a
 * matching rule. Each one is read set-based from the profile (computed traits, traits, typology) or
 * from its recent events; a workspace uses only those it has data for (see `feature-matrix.ts`).
 *
 * Missing values are explicit per feature (`missing`):
 * - `zero`: absence means none — a person without orders has a lifetime value and an order count of
 *   0, a person without e-mail opens opened 0 e-mails;
 * - `unknown`: absence means not known (an average order value without orders, an age never given):
 *   imputed to the median of the people who have it, with a missing-indicator column beside it so that
 *   "not known" stays visible to the clustering.
 */

/** How a feature's values read in human units. */
export type FeatureUnit = 'money' | 'count' | 'days' | 'share' | 'years';

export interface NumericFeature {
  type: 'numeric';
  key: string;
  label: string;
  unit: FeatureUnit;
  missing: 'zero' | 'unknown';
  /** `log`: heavy-tailed amounts and counts are clustered on sign(x)·log(1 + |x|). */
  transform: 'log' | 'none';
  /** The draft name's word when the cluster is above (`high`) or below (`low`) the rest. */
  high: string;
  low: string;
  /** The phrase of a typical value, already formatted: `spends about R$320 per order`. */
  phrase: (value: string) => string;
  /** The matching rule of a range of raw values [lo, hi] (inclusive); absent when the feature has no leaf in the segment language. */
  rule?: (lo: number, hi: number) => SegmentCondition;
}

export interface CategoricalFeature {
  type: 'categorical';
  key: string;
  label: string;
  /** The phrase of the most common value: `mostly in BR (82%)`. */
  phrase: (value: string, share: string) => string;
  /** The draft name's word for a value. */
  word: (value: string) => string;
  rule: (value: string) => SegmentCondition;
}

export type DiscoveryFeature = NumericFeature | CategoricalFeature;

/** `1 order`, `2 orders`, `0.5 orders`. */
const plural = (value: string, noun: string) => (value === '1' ? noun : `${noun}s`);

/** A range rule on a computed trait; for one whose absence means 0, a range from 0 holds the profiles without it too. */
const computedBetween =
  (key: string, absentMeansZero = false) =>
  (lo: number, hi: number): SegmentCondition =>
    absentMeansZero && lo <= 0 && hi >= 0 ? { any: [{ computed: key, op: 'between', value: [lo, hi] }, { computed: key, op: 'missing' }] } : { computed: key, op: 'between', value: [lo, hi] };

/** A count of recent events within [lo, hi] (at most `hi` when `lo` is 0). */
const eventCountBetween = (event: string, within: string) => (lo: number, hi: number): SegmentCondition =>
  lo <= 0
    ? { event, within, count: { op: 'lte', value: hi } }
    : { all: [{ event, within, count: { op: 'gte', value: lo } }, { event, within, count: { op: 'lte', value: hi } }] };

/** Ages [lo, hi] in whole years as birthdays: born after the day `hi + 1` years ago, on or before the day `lo` years ago. */
function birthdayBetween(lo: number, hi: number): SegmentCondition {
  const yearsAgo = (years: number) => {
    const d = new Date();
    d.setUTCFullYear(d.getUTCFullYear() - years);
    return d.toISOString().slice(0, 10);
  };
  return { all: [{ trait: 'birthday', op: 'after', value: yearsAgo(hi + 1) }, { trait: 'birthday', op: 'before', value: yearsAgo(lo) }] };
}

/** The window of the engagement features: recent behaviour, not a lifetime's. */
export const EMAIL_WINDOW = 'P90D';
export const WEB_WINDOW = 'P30D';

/** The web event counted for web engagement: sessions where the workspace records them, page views otherwise. */
export const WEB_EVENT_TYPES = ['session_started', 'page_viewed'] as const;

/**
 * The features, in the order they are extracted (the SQL of `discovery-extraction.ts` reads each
 * `key` as a column). `webEvent` is the workspace's web event type (`WEB_EVENT_TYPES`); `ageFrom`, the
 * trait ages are read from (`age` when the workspace has it, `birthday` otherwise).
 */
export function discoveryFeatures(webEvent: string, ageFrom: 'age' | 'birthday' = 'age'): DiscoveryFeature[] {
  return [
    {
      type: 'numeric',
      key: 'lifetime_value',
      label: 'lifetime value',
      unit: 'money',
      missing: 'zero',
      transform: 'log',
      high: 'high-value',
      low: 'low-value',
      phrase: (v) => `has spent about ${v} in all`,
      rule: computedBetween('lifetime_value', true),
    },
    {
      type: 'numeric',
      key: 'orders_count',
      label: 'order frequency',
      unit: 'count',
      missing: 'zero',
      transform: 'log',
      high: 'frequent',
      low: 'occasional',
      phrase: (v) => `has placed about ${v} ${plural(v, 'order')}`,
      rule: computedBetween('orders_count', true),
    },
    {
      type: 'numeric',
      key: 'days_since_last_order',
      label: 'recency',
      unit: 'days',
      missing: 'unknown',
      transform: 'none',
      high: 'lapsed',
      low: 'recent',
      phrase: (v) => `last ordered about ${v} days ago`,
      rule: computedBetween('days_since_last_order'),
    },
    {
      type: 'numeric',
      key: 'avg_order_value',
      label: 'average order value',
      unit: 'money',
      missing: 'unknown',
      transform: 'log',
      high: 'big-basket',
      low: 'small-basket',
      phrase: (v) => `spends about ${v} per order`,
      rule: computedBetween('avg_order_value'),
    },
    {
      type: 'numeric',
      key: 'discount_share',
      label: 'discount share',
      unit: 'share',
      missing: 'unknown',
      transform: 'none',
      high: 'deal-seeking',
      low: 'full-price',
      phrase: (v) => `uses a discount on ${v} of orders`,
      rule: computedBetween('discount_order_share'),
    },
    {
      type: 'numeric',
      key: 'refund_share',
      label: 'refund share',
      unit: 'share',
      missing: 'unknown',
      transform: 'none',
      high: 'refund-prone',
      low: 'refund-free',
      phrase: (v) => `has ${v} of orders refunded`,
    },
    {
      type: 'numeric',
      key: 'email_engagement',
      label: 'e-mail engagement',
      unit: 'count',
      missing: 'zero',
      transform: 'log',
      high: 'e-mail-engaged',
      low: 'e-mail-quiet',
      phrase: (v) => `opened about ${v} ${plural(v, 'e-mail')} in the last 90 days`,
      rule: eventCountBetween('email_opened', EMAIL_WINDOW),
    },
    {
      type: 'numeric',
      key: 'web_engagement',
      label: 'web engagement',
      unit: 'count',
      missing: 'zero',
      transform: 'log',
      high: 'web-active',
      low: 'web-quiet',
      phrase: (v) => (webEvent === 'session_started' ? `started about ${v} web ${plural(v, 'session')}` : `viewed about ${v} web ${plural(v, 'page')}`) + ' in the last 30 days',
      rule: eventCountBetween(webEvent, WEB_WINDOW),
    },
    {
      type: 'numeric',
      key: 'age',
      label: 'age band',
      unit: 'years',
      missing: 'unknown',
      transform: 'none',
      high: 'older',
      low: 'younger',
      phrase: (v) => `is about ${v} years old`,
      rule: ageFrom === 'age' ? (lo, hi) => ({ trait: 'age', op: 'between', value: [lo, hi] }) : birthdayBetween,
    },
    {
      type: 'categorical',
      key: 'region',
      label: 'region',
      phrase: (v, share) => `lives mostly in ${v} (${share})`,
      word: (v) => `from ${v}`,
      rule: (v) => ({ trait: 'country', op: 'eq', value: v }),
    },
    {
      type: 'categorical',
      key: 'typology',
      label: 'typology',
      phrase: (v, share) => `buys mostly ${v.replace('_', '-')} (${share})`,
      word: (v) => v.replace('_', '-'),
      rule: (v) => ({ typology: v }),
    },
  ];
}
