import type { z } from 'zod';
import { COMPARISON_OPERATORS, type Comparison } from '../segment-definition.js';
import { comparison } from './comparison-sql.js';
import { isRelative, type SegmentLeafKind } from './segment-leaf.js';

/**
 * The entry of a leaf comparing a key of one of the profile's own jsonb columns (`traits`, `computed`):
 * every operator, narrowed by the key's observed type when checked; a containment on the column where
 * the GIN index serves it.
 */
export function profileFieldLeaf<Leaf extends Comparison>(
  schema: z.ZodType<Leaf>,
  field: 'traits' | 'computed',
  keyOf: (leaf: Leaf) => string,
  label: string,
): SegmentLeafKind<Leaf> {
  return {
    schema,
    operators: COMPARISON_OPERATORS,
    check: (leaf, ctx) => ctx.comparison(leaf, [], ctx.catalog[field].get(keyOf(leaf)), `${label} ${keyOf(leaf)}`),
    compile: (leaf, ctx) => comparison(leaf, { column: `p.${field}`, key: keyOf(leaf), field }, ctx),
    timeWindowed: isRelative,
  };
}
