import { z } from 'zod';
import type { SegmentLeafKind } from './segment-leaf.js';

/** The persona assigned to the person: `{ persona: '<persona id>' }`. */
export interface PersonaCondition {
  persona: string;
}

export const personaConditionSchema = z.strictObject({ persona: z.uuid('must be a persona id') });

export const personaLeaf: SegmentLeafKind<PersonaCondition> = {
  schema: personaConditionSchema,
  operators: [],
  compile: (leaf, ctx) => `(p.persona_id IS NOT DISTINCT FROM ${ctx.p.add(leaf.persona)}::uuid)`,
  refusedInPersonaRules: 'a persona rule cannot refer to a persona: personas are what the rules assign',
};
