import { z } from 'zod';
import { comparisonFields, leafName, type Comparison } from '../segment-definition.js';
import { profileFieldLeaf } from './profile-field.leaf.js';

/** A profile's own trait: `{ trait: 'country', op: 'eq', value: 'BR' }`. */
export interface TraitCondition extends Comparison {
  trait: string;
}

export const traitConditionSchema = z.strictObject({ trait: leafName, ...comparisonFields });

export const traitLeaf = profileFieldLeaf<TraitCondition>(traitConditionSchema, 'traits', (leaf) => leaf.trait, 'trait');
