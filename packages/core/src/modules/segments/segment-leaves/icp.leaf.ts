import { z } from 'zod';
import type { SegmentLeafKind } from './segment-leaf.js';

/**
 * The fit of a profile for an ideal customer profile, by the ICP's key: an account's own score, a
 * person's account's (`profiles.icp_account_id`). `{ icp: 'mid-market', minScore: 70 }` holds from a
 * score of 70; `{ icp: 'mid-market', qualified: true }` (or `{ icp: 'mid-market' }`) when the score
 * reaches the ICP's threshold; `qualified: false` when it does not. A key no live ICP has matches nobody.
 */
export interface IcpCondition {
  icp: string;
  minScore?: number;
  qualified?: boolean;
}

export const icpConditionSchema = z.strictObject({
  icp: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'must be the key of an ICP'),
  minScore: z.number({ error: 'must be a number' }).min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').optional(),
  qualified: z.boolean({ error: 'must be true or false' }).optional(),
});

export const icpLeaf: SegmentLeafKind<IcpCondition> = {
  schema: icpConditionSchema,
  operators: [],
  compile: (leaf, ctx) => {
    const tests = [`i.key = ${ctx.p.add(leaf.icp)}::text`];
    if (leaf.minScore !== undefined) tests.push(`s.score >= ${ctx.p.add(leaf.minScore)}::numeric`);
    if (leaf.qualified !== undefined || leaf.minScore === undefined) tests.push(`s.qualified = ${ctx.p.add(leaf.qualified ?? true)}::boolean`);
    return `EXISTS (SELECT 1 FROM icp_scores s JOIN icps i ON i.id = s.icp_id
                    WHERE s.account_id = CASE WHEN p.kind = 'account' THEN p.id ELSE p.icp_account_id END
                      AND i.workspace_id = ${ctx.ws}::uuid AND i.deleted_at IS NULL AND ${tests.join(' AND ')})`;
  },
  refusedInPersonaRules: 'a persona rule cannot refer to an ICP: fits are derived beside personas, not before them',
};
