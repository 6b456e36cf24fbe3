import { z } from 'zod';
import { leafName } from '../segment-definition.js';
import type { SegmentLeafKind } from './segment-leaf.js';

/** How the customer buys (`profiles.typology`): `{ typology: 'deal_based' }`. */
export interface TypologyCondition {
  typology: string;
}

export const typologyConditionSchema = z.strictObject({ typology: leafName });

export const typologyLeaf: SegmentLeafKind<TypologyCondition> = {
  schema: typologyConditionSchema,
  operators: [],
  compile: (leaf, ctx) => `(p.typology IS NOT DISTINCT FROM ${ctx.p.add(leaf.typology)}::text)`,
};
