import { z } from 'zod';
import { COMPARISON_OPERATORS, comparisonFields, leafName, type Comparison } from '../segment-definition.js';
import { comparison } from './comparison-sql.js';
import { isRelative, type SegmentLeafKind } from './segment-leaf.js';

/** A profile's own trait: `{ trait: 'country', op: 'eq', value: 'BR' }`. */
export interface TraitCondition extends Comparison {
  trait: string;
}

export const traitConditionSchema = z.strictObject({ trait: leafName, ...comparisonFields });

export const traitLeaf: SegmentLeafKind<TraitCondition> = {
  schema: traitConditionSchema,
  // Narrowed by the trait's observed type when checked.
  operators: COMPARISON_OPERATORS,
  check: (leaf, ctx) => ctx.comparison(leaf, [], ctx.catalog.traits.get(leaf.trait), `trait ${leaf.trait}`),
  compile: (leaf, ctx) => comparison(leaf, { column: 'p.traits', key: leaf.trait, field: 'traits' }, ctx),
  timeWindowed: isRelative,
};
