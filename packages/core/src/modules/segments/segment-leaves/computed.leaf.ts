import { z } from 'zod';
import { comparisonFields, leafName, type Comparison } from '../segment-definition.js';
import { profileFieldLeaf } from './profile-field.leaf.js';

/** A computed trait of the profile: `{ computed: 'lifetime_value', op: 'gt', value: 500 }`. */
export interface ComputedCondition extends Comparison {
  computed: string;
}

export const computedConditionSchema = z.strictObject({ computed: leafName, ...comparisonFields });

export const computedLeaf = profileFieldLeaf<ComputedCondition>(computedConditionSchema, 'computed', (leaf) => leaf.computed, 'computed trait');
