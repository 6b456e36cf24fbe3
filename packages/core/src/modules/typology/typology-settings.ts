import { z } from 'zod';
import { EVENT_TYPE } from '@portrait/connector-sdk';
import { TYPOLOGIES } from '../personas/persona-definition.js';

/**
 * The thresholds of the typology rules, per workspace (stored in `workspaces.settings.typology`; a
 * field left out takes its default). Each rule reads the person's `order_placed` events and a few
 * others; a person with fewer than `minOrders` orders is `unknown` whatever else is known.
 *
 * - deal_based: at least `dealBased.minDealShare` of the orders used a discount (a `discount_total`
 *   above zero or a discount code) or were bought on sale (a line item's `compare_at_price` above its
 *   `price`);
 * - impulsive: at least `impulsive.minImpulseShare` of the orders were impulse purchases: placed within
 *   `impulsive.windowMinutes` of the person's first visit (`session_started` or `page_viewed`, when no
 *   order came before it) or of a campaign click (`email_clicked`), or within `impulsive.burstHours`
 *   of another order (a burst);
 * - loyal: at least `loyal.minOrders` orders spread over at least `loyal.minSpanDays` days at a regular
 *   interval (the variation of the intervals between orders — their standard deviation over their
 *   mean — at most `loyal.maxIntervalVariation`); or high engagement: at least
 *   `loyal.minEngagementEvents` events of `loyal.engagementEvents` in the last
 *   `loyal.engagementWindowDays` days with at least `loyal.minEngagedOrders` orders;
 * - need_based: at least `needBased.minOrders` orders, sparse (`needBased.minMeanIntervalDays` days
 *   apart on average) and regular (variation at most `needBased.maxIntervalVariation`), at full price
 *   (at most `needBased.maxDealShare` of them with a discount) and of the same kind (at least
 *   `needBased.minSameProductTypeShare` of them include the person's most bought product type).
 *
 * When several rules match, the first of `precedence` wins (by default: deal_based, impulsive, loyal,
 * need_based — what triggers a purchase, price or impulse, explains it better than the pattern of
 * returns; loyalty is a stronger pattern than need). No rule matching: `unknown`.
 */

const share = z.number({ error: 'must be a number' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const count = (max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
const positive = (max: number) => z.number({ error: 'must be a number' }).min(0, 'must not be negative').max(max, `must be at most ${max}`);
const variation = positive(100);

export const TYPOLOGY_DEFAULTS = {
  minOrders: 2,
  precedence: ['deal_based', 'impulsive', 'loyal', 'need_based'],
  dealBased: { minDealShare: 0.5 },
  impulsive: { minImpulseShare: 0.5, windowMinutes: 30, burstHours: 24 },
  loyal: {
    minOrders: 4,
    minSpanDays: 180,
    maxIntervalVariation: 0.5,
    engagementEvents: ['email_opened', 'email_clicked', 'session_started'],
    engagementWindowDays: 90,
    minEngagementEvents: 20,
    minEngagedOrders: 2,
  },
  needBased: { minOrders: 3, minMeanIntervalDays: 21, maxIntervalVariation: 0.75, maxDealShare: 0.2, minSameProductTypeShare: 0.6 },
} as const satisfies TypologySettings;

/** The workspace's thresholds as stored and as written: every field optional, none unknown. */
export const typologySettingsInputSchema = z
  .strictObject({
    minOrders: count(1000).optional().describe('Fewer orders than this: `unknown` (default 2)'),
    precedence: z
      .array(z.enum(TYPOLOGIES, { error: `must be one of ${TYPOLOGIES.join(', ')}` }))
      .length(TYPOLOGIES.length, `must list the ${TYPOLOGIES.length} typologies, each once`)
      .refine((list) => new Set(list).size === list.length, `must list the ${TYPOLOGIES.length} typologies, each once`)
      .optional()
      .describe('The rule that wins when several match, first to last (default deal_based, impulsive, loyal, need_based)'),
    dealBased: z
      .strictObject({ minDealShare: share.optional().describe('Share of orders with a discount or on sale, from which a person is deal-based (default 0.5)') })
      .optional(),
    impulsive: z
      .strictObject({
        minImpulseShare: share.optional().describe('Share of impulse orders from which a person is impulsive (default 0.5)'),
        windowMinutes: positive(10_080).optional().describe('Minutes after the first visit or a campaign click within which an order is an impulse (default 30)'),
        burstHours: positive(8_760).optional().describe('Hours within which two orders make a burst, both impulses (default 24)'),
      })
      .optional(),
    loyal: z
      .strictObject({
        minOrders: count(1000).optional().describe('Orders a regular loyal customer has at least (default 4)'),
        minSpanDays: positive(36_500).optional().describe('Days between the first and the latest order at least (default 180)'),
        maxIntervalVariation: variation.optional().describe('Standard deviation over mean of the intervals between orders at most (default 0.5)'),
        engagementEvents: z
          .array(z.string({ error: 'must be a string' }).regex(EVENT_TYPE, 'must be an event type in lower snake case, e.g. email_opened'), { error: 'must be a list of event types' })
          .min(1, 'must name at least one event type')
          .max(20, 'must be at most 20 event types')
          .optional()
          .describe('Event types that count as engagement (default email_opened, email_clicked, session_started)'),
        engagementWindowDays: count(3650).optional().describe('Trailing days over which engagement is counted (default 90)'),
        minEngagementEvents: count(1_000_000).optional().describe('Engagement events from which a customer is loyal by engagement (default 20)'),
        minEngagedOrders: count(1000).optional().describe('Orders a customer loyal by engagement has at least (default 2)'),
      })
      .optional(),
    needBased: z
      .strictObject({
        minOrders: count(1000).optional().describe('Orders at least (default 3)'),
        minMeanIntervalDays: positive(36_500).optional().describe('Average days between orders at least: sparse purchases (default 21)'),
        maxIntervalVariation: variation.optional().describe('Standard deviation over mean of the intervals at most: regular purchases (default 0.75)'),
        maxDealShare: share.optional().describe('Share of orders with a discount at most: full-price purchases (default 0.2)'),
        minSameProductTypeShare: share.optional().describe('Share of orders including the most bought product type at least (default 0.6)'),
      })
      .optional(),
  })
  .describe('Typology thresholds; a field left out takes its default');

export type TypologySettingsInput = z.output<typeof typologySettingsInputSchema>;

/** The thresholds in force: the workspace's over the defaults. */
export interface TypologySettings {
  minOrders: number;
  precedence: readonly (typeof TYPOLOGIES)[number][];
  dealBased: { minDealShare: number };
  impulsive: { minImpulseShare: number; windowMinutes: number; burstHours: number };
  loyal: {
    minOrders: number;
    minSpanDays: number;
    maxIntervalVariation: number;
    engagementEvents: readonly string[];
    engagementWindowDays: number;
    minEngagementEvents: number;
    minEngagedOrders: number;
  };
  needBased: { minOrders: number; minMeanIntervalDays: number; maxIntervalVariation: number; maxDealShare: number; minSameProductTypeShare: number };
}

export function resolveTypologySettings(own: TypologySettingsInput | undefined): TypologySettings {
  const d = TYPOLOGY_DEFAULTS;
  return {
    minOrders: own?.minOrders ?? d.minOrders,
    precedence: own?.precedence ?? d.precedence,
    dealBased: { ...d.dealBased, ...own?.dealBased },
    impulsive: { ...d.impulsive, ...own?.impulsive },
    loyal: { ...d.loyal, ...own?.loyal },
    needBased: { ...d.needBased, ...own?.needBased },
  };
}
