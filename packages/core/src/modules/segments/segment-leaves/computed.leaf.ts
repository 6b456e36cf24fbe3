import { z } from 'zod';
import { COMPARISON_OPERATORS, comparisonFields, leafName, type Comparison } from '../segment-definition.js';
import { comparison } from './comparison-sql.js';
import { isRelative, type SegmentLeafKind } from './segment-leaf.js';

/** A computed trait of the profile: `{ computed: 'lifetime_value', op: 'gt', value: 500 }`. */
export interface ComputedCondition extends Comparison {
  computed: string;
}

export const computedConditionSchema = z.strictObject({ computed: leafName, ...comparisonFields });

export const computedLeaf: SegmentLeafKind<ComputedCondition> = {
  schema: computedConditionSchema,
  // Narrowed by the computed trait's observed type when checked.
  operators: COMPARISON_OPERATORS,
  check: (leaf, ctx) => ctx.comparison(leaf, [], ctx.catalog.computed.get(leaf.computed), `computed trait ${leaf.computed}`),
  compile: (leaf, ctx) => comparison(leaf, { column: 'p.computed', key: leaf.computed, field: 'computed' }, ctx),
  timeWindowed: isRelative,
};
