import { z } from 'zod';
import { leafName } from '../segment-definition.js';
import type { SegmentLeafKind } from './segment-leaf.js';

/** The profile's latest consent statement for a purpose: `{ consent: 'email_marketing', granted: true }`. */
export interface ConsentCondition {
  consent: string;
  granted: boolean;
}

export const consentConditionSchema = z.strictObject({ consent: leafName, granted: z.boolean() });

export const consentLeaf: SegmentLeafKind<ConsentCondition> = {
  schema: consentConditionSchema,
  operators: [],
  compile: (leaf, ctx) => {
    const { p, ws } = ctx;
    // The latest statement per purpose wins; on a tie, a refusal.
    const latest = ctx.setBased
      ? `(p.id IN (SELECT l.profile_id FROM (SELECT DISTINCT ON (c.profile_id) c.profile_id, c.granted FROM consents c
           WHERE c.workspace_id = ${ws}::uuid AND c.purpose = ${p.add(leaf.consent)}::text ORDER BY c.profile_id, c.at DESC, c.granted) l WHERE l.granted))`
      : `coalesce((SELECT c.granted FROM consents c WHERE c.profile_id = p.id AND c.purpose = ${p.add(leaf.consent)}::text ORDER BY c.at DESC, c.granted LIMIT 1), false)`;
    return leaf.granted ? `(${latest})` : `(NOT ${latest})`;
  },
};
