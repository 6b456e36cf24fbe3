import { TYPOLOGIES, typologySettingsInputSchema } from '@portrait/core';
import { z } from 'zod';

const count = z.number().int();
const typologies = z.array(z.enum(TYPOLOGIES));

export const typologyDistributionSchema = z
  .object({
    total: count.describe('Live people of the workspace'),
    counts: z
      .object({
        need_based: count,
        deal_based: count,
        impulsive: count,
        loyal: count,
        unknown: count.describe('Too little behaviour to say (fewer orders than `minOrders`), or no rule matched'),
        unclassified: count.describe('Not classified yet'),
      })
      .describe('People per typology'),
  })
  .meta({ id: 'TypologyDistribution', description: 'How many live people of the workspace have each typology' });

export const typologySettingsSchema = z
  .object({
    minOrders: count.describe('Fewer orders than this: `unknown`'),
    precedence: typologies.describe('The rule that wins when several match, first to last'),
    dealBased: z.object({ minDealShare: z.number().describe('Share of orders with a discount code, a discount or a sale price, from which a person is deal-based') }),
    impulsive: z.object({
      minImpulseShare: z.number().describe('Share of impulse orders from which a person is impulsive'),
      windowMinutes: z.number().describe('An order within this many minutes after the first visit or a campaign click is an impulse'),
      burstHours: z.number().describe('Two orders within this many hours make a burst, both impulses'),
    }),
    loyal: z.object({
      minOrders: count.describe('Orders a regular loyal customer has at least'),
      minSpanDays: z.number().describe('Days between the first and the latest order at least'),
      maxIntervalVariation: z.number().describe('Standard deviation over mean of the intervals between orders at most'),
      engagementEvents: z.array(z.string()).describe('Event types that count as engagement'),
      engagementWindowDays: count.describe('Trailing days over which engagement is counted'),
      minEngagementEvents: count.describe('Engagement events from which a customer is loyal by engagement'),
      minEngagedOrders: count.describe('Orders a customer loyal by engagement has at least'),
    }),
    needBased: z.object({
      minOrders: count.describe('Orders at least'),
      minMeanIntervalDays: z.number().describe('Average days between orders at least (sparse purchases)'),
      maxIntervalVariation: z.number().describe('Standard deviation over mean of the intervals at most (regular purchases)'),
      maxDealShare: z.number().describe('Share of orders with a discount at most (full-price purchases)'),
      minSameProductTypeShare: z.number().describe('Share of orders including the most bought product type at least (the same kind of product)'),
    }),
  })
  .meta({ id: 'TypologySettings', description: 'The typology thresholds in force: the workspace\'s own over the defaults' });

export const replaceTypologySettingsSchema = typologySettingsInputSchema.meta({
  id: 'ReplaceTypologySettings',
  description: 'The workspace\'s own thresholds, replacing the previous ones; a field left out takes its default (`{}`: every default)',
});

export const typologySettingsViewSchema = z
  .object({ settings: typologySettingsSchema, own: typologySettingsInputSchema.describe('The fields the workspace set (the others are defaults)') })
  .meta({ id: 'TypologySettingsView' });

export const typologyRunSchema = z
  .object({
    kind: z.enum(['incremental', 'full', 'scheduled']),
    evaluated: count.describe('Profiles classified'),
    changed: count.describe('Profiles whose typology changed (each a `profile.updated` webhook event)'),
    durationMs: count,
  })
  .meta({ id: 'TypologyRun', description: 'A classification of the workspace\'s profiles' });

export const typologyRecomputedSchema = z
  .object({ run: typologyRunSchema, distribution: typologyDistributionSchema })
  .meta({ id: 'TypologyRecomputed', description: 'The run, and the distribution after it' });

export const typologySettingsChangedSchema = typologySettingsViewSchema
  .extend({ run: typologyRunSchema, distribution: typologyDistributionSchema })
  .meta({ id: 'TypologySettingsChanged', description: 'The thresholds in force, the classification they caused and the distribution after it' });
