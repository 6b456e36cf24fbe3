import { z } from 'zod';
import { isoDateTime, jsonValue } from './schema-primitives.js';

/** Profiles as both HTTP apps answer them (the public API's reads, the management API's profile 360). */

export const identitySchema = z
  .object({
    type: z.string().describe('Identifier type: email, user_id, anonymous_id, phone, shopify_customer_id, …'),
    value: z.string().describe('Normalized value (emails lower-cased, phones E.164)'),
    source: z.string().describe('The source that first brought it'),
    firstSeenAt: isoDateTime,
  })
  .meta({ id: 'Identity' });

export const profileTypologySchema = z
  .object({
    value: z.enum(['need_based', 'deal_based', 'impulsive', 'loyal', 'unknown']).describe('need_based, deal_based, impulsive or loyal; unknown when there is too little behaviour to say'),
    reason: z.string().nullable().describe('Why, in words and figures: "4 of 5 orders used a discount code or were bought on sale (80%; deal-based from 50%)"'),
    figures: z.record(z.string(), jsonValue).nullable().describe('What the rules measured: orders, dealOrders, impulseOrders, spanDays, meanIntervalDays, intervalVariation, engagementEvents, …'),
    setAt: isoDateTime.nullable().describe('When the profile got this typology'),
  })
  .meta({ id: 'ProfileTypology', description: 'A person\'s customer typology, with its reason' });

export const icpScoreSchema = z
  .object({
    icp: z.string().describe('The ICP\'s key'),
    name: z.string(),
    score: z.number().int().describe('round(100 × matched weight / total weight), 0 to 100'),
    qualified: z.boolean().describe('Whether the score reaches the ICP\'s threshold'),
    threshold: z.number().int(),
  })
  .meta({ id: 'IcpScore', description: 'An account\'s fit for one ideal customer profile' });

export const profileSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['person', 'account']),
    traits: z.record(z.string(), jsonValue).describe('Current trait values, one per key, after source precedence'),
    computed: z.record(z.string(), jsonValue).describe('Computed traits: lifetime_value, orders_count, …'),
    identities: z.array(identitySchema),
    linked: z.array(z.uuid()).describe('People: the accounts they belong to. Accounts: their people.'),
    personaId: z.uuid().nullable().describe('The best-matching buyer persona (people only); null when none reaches its minimum score'),
    personaScore: z.number().nullable().describe('The profile\'s score (0 to 1) for that persona; null without one'),
    typology: profileTypologySchema.nullable().describe('How the person buys (people only); null until classified, and for accounts'),
    icpFit: z.number().int().nullable().describe('The best ideal customer profile (ICP) fit, 0 to 100: an account\'s own, a person\'s account\'s; null without one'),
    icpQualified: z.boolean().nullable().describe('Whether that account is qualified for at least one ICP; null without a fit'),
    icpAccountId: z.uuid().nullable().describe('People: the account the fit is inherited from (the one they were linked to last); null otherwise'),
    icpScores: z.array(icpScoreSchema).describe('Accounts: their score for each ICP of the workspace, oldest ICP first; empty for people'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    mergedFrom: z.uuid().optional().describe('Set when the id asked for was merged into this profile: the id asked for'),
  })
  .meta({ id: 'Profile', description: 'A unified profile of a person or an account (company)' });

export const profilePageSchema = z
  .object({ data: z.array(profileSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'ProfilePage' });

export const eventSchema = z
  .object({
    id: z.string(),
    type: z.string().describe('Event type in lower snake case: order_placed, page_viewed, …'),
    source: z.string(),
    occurredAt: isoDateTime,
    properties: z.record(z.string(), jsonValue),
  })
  .meta({ id: 'Event' });

export const eventPageSchema = z
  .object({ data: z.array(eventSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'EventPage' });

export const profileTraitsSchema = z
  .object({ profileId: z.uuid(), traits: z.record(z.string(), jsonValue) })
  .meta({ id: 'ProfileTraits', description: 'Trait values (verbose=false)' });

export const verboseTraitSchema = z
  .object({ value: jsonValue, source: z.string().describe('Source of the value kept'), observedAt: isoDateTime.describe('When that source observed it') })
  .meta({ id: 'VerboseTrait' });

export const profileTraitsVerboseSchema = z
  .object({
    profileId: z.uuid(),
    traits: z.record(z.string(), verboseTraitSchema),
    observations: z
      .array(
        z.object({
          source: z.string(),
          externalId: z.string(),
          observedAt: isoDateTime,
          traits: z.record(
            z.string(),
            z.object({
              value: jsonValue,
              observedAt: isoDateTime,
              raw: jsonValue.optional().describe('The value as the source sent it, when Portrait normalized it (email, phone)'),
            }),
          ),
        }),
      )
      .describe('What each source record says, with the time of each observation'),
  })
  .meta({ id: 'ProfileTraitsVerbose', description: 'Trait values with provenance (verbose=true)' });

export const profileTraitsResponseSchema = z.union([profileTraitsSchema, profileTraitsVerboseSchema]);
