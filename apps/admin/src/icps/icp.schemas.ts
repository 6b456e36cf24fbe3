import { FIRMOGRAPHIC_TRAITS, icpEnvelopeSchema } from '@portrait/core';
import { isoDateTime, pageCursor, pageLimit } from '@portrait/core/http';
import { z } from 'zod';

const criteriaDescription =
  'Weighted criteria: each `{kind?, condition, weight, minPeople?, label?}`. `kind` `account` (default): the condition, in the segment language, holds for the account; `people`: at least `minPeople` of the account\'s people hold it. Conditions are checked against the workspace\'s data (errors named `criteria.<i>.condition.…`); leaves on ICPs, personas and segments are refused';

export const createIcpSchema = icpEnvelopeSchema.meta({
  id: 'CreateIcp',
  description: `An ideal customer profile: \`name\`, \`criteria\` (${criteriaDescription}), and optionally \`key\`, \`description\` and \`threshold\` (0 to 100, default 70). Common account traits: ${Object.keys(FIRMOGRAPHIC_TRAITS).join(', ')}`,
});

export const updateIcpSchema = icpEnvelopeSchema.partial().meta({
  id: 'UpdateIcp',
  description: 'The fields to change (given `criteria` replace them all); the workspace\'s accounts are scored again',
});

export const icpCriterionSchema = z
  .object({
    kind: z.enum(['account', 'people']),
    condition: z.unknown().describe('A condition in the segment language'),
    weight: z.number(),
    minPeople: z.number().int().optional().describe('`people` criteria: how many of the account\'s people must hold the condition'),
    label: z.string().optional(),
  })
  .meta({ id: 'IcpCriterion' });

export const icpSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    key: z.string().describe('A stable handle, unique among the workspace\'s ICPs (the `icp` leaf of segments names it)'),
    description: z.string().nullable(),
    criteria: z.array(icpCriterionSchema),
    threshold: z.number().int().describe('The fit score (0 to 100) an account must reach to be qualified'),
    version: z.number().int().describe('The criteria\'s revision, bumped when criteria or threshold change'),
    accounts: z.number().int().describe('Live accounts scored'),
    qualified: z.number().int().describe('Of them, those qualified'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({
    id: 'Icp',
    description: 'An ideal customer profile. An account\'s fit score is round(100 × weight of the criteria it meets / total weight), 0 to 100, halves up; it is qualified from the threshold. People inherit their account\'s best fit across ICPs.',
  });

export const icpPageSchema = z
  .object({ data: z.array(icpSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'IcpPage' });

export const icpDistributionSchema = z
  .object({
    icp: z.string().describe('The ICP\'s key'),
    threshold: z.number().int(),
    accounts: z.number().int().describe('Live accounts scored'),
    qualified: z.number().int().describe('Of them, those qualified'),
    buckets: z.array(z.object({ from: z.number().int(), to: z.number().int(), accounts: z.number().int() })).describe('Ten buckets: 0–9, 10–19, …, 90–100'),
  })
  .meta({ id: 'IcpDistribution' });

export const icpAccountsQuery = z.object({
  limit: pageLimit,
  cursor: pageCursor,
  qualified: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe('Only the qualified (true) or the other (false) accounts'),
  minScore: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').optional().describe('Only accounts from this score'),
});

export const icpAccountPageSchema = z
  .object({
    data: z.array(
      z.object({
        accountId: z.uuid(),
        score: z.number().int(),
        qualified: z.boolean(),
        matched: z.array(z.number().int()).describe('The indexes of the criteria the account meets'),
        scoredAt: isoDateTime,
      }),
    ),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'IcpAccountPage' });
