import { z } from 'zod';
import type { SegmentCondition } from '../segments/segment-definition.js';
import { segmentConditionSchema } from '../segments/segment-leaves/segment-leaves.js';

/**
 * An ideal customer profile (ICP) as clients write it: weighted criteria over accounts and a
 * qualification threshold. Each criterion is a condition in the segment condition language:
 * - `account` (the default kind): the condition holds for the account itself (its firmographic traits:
 *   `{ trait: 'industry', op: 'eq', value: 'software' }`, its events, its identities);
 * - `people`: at least `minPeople` of the account's people hold the condition (`{ event: 'page_viewed',
 *   count: { op: 'gte', value: 5 }, within: 'P30D' }` → "at least 3 active users").
 *
 * An account's fit score for an ICP is `round(100 × matched weight / total weight)`, 0 to 100 (halves
 * round up); it is qualified when the score reaches `threshold`. Exported for the admin UI, the API and
 * the CLI; the server checks each condition further against the workspace's data.
 */

export const ICP_CRITERION_KINDS = ['account', 'people'] as const;
export type IcpCriterionKind = (typeof ICP_CRITERION_KINDS)[number];

export const MAX_ICP_CRITERIA = 50;
export const DEFAULT_ICP_THRESHOLD = 70;

/** One criterion: when it holds for an account, the account earns `weight`. */
export interface IcpCriterion {
  kind: IcpCriterionKind;
  condition: SegmentCondition;
  weight: number;
  /** `people` criteria: how many of the account's people must hold the condition. */
  minPeople?: number;
  label?: string;
}

/**
 * The firmographic traits accounts commonly carry, whatever brought them (a Segment `group` call's
 * traits, Stripe, HubSpot or a CSV of companies). Criteria may use any trait; these are the keys the
 * connectors map into, so that ICPs read the same whatever the source.
 */
export const FIRMOGRAPHIC_TRAITS = {
  industry: 'Industry, free text as the source writes it (`software`, `retail`)',
  employee_count: 'Number of employees (a number; `employees` in a group call)',
  annual_revenue: 'Annual revenue in the account currency (a number; `annualRevenue` in a group call)',
  country: 'ISO 3166-1 alpha-2 country code (`BR`, `US`)',
  technologies: 'Technologies the account uses, a list of strings (`["shopify", "hubspot"]`): compare with `contains`',
  plan: 'Subscription plan (`free`, `pro`, `enterprise`)',
} as const;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const weight = z.number({ error: 'must be a number' }).finite().positive('must be greater than 0').max(1_000_000, 'must be at most 1000000');

function icpInput<Condition extends z.ZodType>(condition: Condition) {
  const criterion = z
    .strictObject({
      kind: z.enum(ICP_CRITERION_KINDS, { error: `must be one of ${ICP_CRITERION_KINDS.join(', ')}` }).optional(),
      condition,
      weight,
      minPeople: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1_000_000, 'must be at most 1000000').optional(),
      label: text(200).optional(),
    })
    .superRefine((c, ctx) => {
      if ((c.kind ?? 'account') === 'people' && c.minPeople === undefined) ctx.addIssue({ code: 'custom', path: ['minPeople'], message: 'a people criterion needs minPeople' });
      if ((c.kind ?? 'account') === 'account' && c.minPeople !== undefined) ctx.addIssue({ code: 'custom', path: ['minPeople'], message: 'only a people criterion has minPeople' });
    });
  return z.strictObject({
    name: text(200),
    /** Derived from the name when absent (with a numeric suffix if taken). */
    key: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'must be 1 to 100 lower-case letters, digits, - or _, starting with a letter or digit')
      .optional(),
    description: z.string().max(2000, 'must be at most 2000 characters').nullable().optional(),
    criteria: z.array(criterion).min(1, 'an ICP needs at least one criterion').max(MAX_ICP_CRITERIA, `at most ${MAX_ICP_CRITERIA} criteria`),
    threshold: z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').optional(),
  });
}

/** An ICP to create or replace, for clients (admin UI forms, request bodies, CLI files, OpenAPI). */
export const icpInputSchema = icpInput(segmentConditionSchema);
export type IcpInput = z.input<typeof icpInputSchema>;

/**
 * The same shape with each criterion's condition left unchecked: the server checks conditions with
 * the segment validator, which names the offending field inside the tree (`criteria.0.condition.all[1].op`).
 */
export const icpEnvelopeSchema = icpInput(z.unknown());
