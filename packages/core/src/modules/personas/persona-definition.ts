import { z } from 'zod';
import type { SegmentCondition } from '../segments/segment-definition.js';
import { segmentConditionSchema } from '../segments/segment-leaves/segment-leaves.js';

/**
 * A buyer persona as clients write it: a semi-fictional card (who the persona is) and weighted
 * matching rules in the segment condition language. A profile's score for a persona is the weight of
 * the rules it matches over the persona's total weight (0 to 1); each person gets the persona with the
 * highest score that reaches that persona's `minScore`. Exported for the admin UI, the API and the
 * CLI; the server checks each rule's condition further against the workspace's data.
 */

/** The typologies of the seed documents: how a customer buys. `profiles.typology` holds one of them. */
export const TYPOLOGIES = ['need_based', 'deal_based', 'impulsive', 'loyal'] as const;
export type Typology = (typeof TYPOLOGIES)[number];

export function isTypology(value: unknown): value is Typology {
  return (TYPOLOGIES as readonly unknown[]).includes(value);
}

export const MAX_PERSONA_RULES = 50;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const list = z.array(text(500)).max(50, 'at most 50 items');

/**
 * The card. Its keys are snake_case like the trait vocabulary; every part is optional.
 * `demographics` is free-form (`{ age_range: '30-45', location: 'São Paulo', income: 'upper-middle' }`).
 */
export const personaCardSchema = z.strictObject({
  demographics: z
    .record(text(100), z.union([z.string().max(500), z.number().finite(), z.boolean()]))
    .refine((d) => Object.keys(d).length <= 30, 'at most 30 demographic facts')
    .optional(),
  role: text(200).optional(),
  goals: list.optional(),
  pain_points: list.optional(),
  fears: list.optional(),
  information_sources: list.optional(),
  preferred_channels: list.optional(),
  typology: z.enum(TYPOLOGIES, { error: `must be one of ${TYPOLOGIES.join(', ')}` }).optional(),
});
export type PersonaCard = z.output<typeof personaCardSchema>;

/** One matching rule: when the condition holds, the profile earns `weight`. */
export interface PersonaRule {
  condition: SegmentCondition;
  weight: number;
  label?: string;
}

const weight = z.number({ error: 'must be a number' }).finite().positive('must be greater than 0').max(1_000_000, 'must be at most 1000000');

function personaInput<Condition extends z.ZodType>(condition: Condition) {
  return z.strictObject({
    name: text(200),
    /** Derived from the name when absent (with a numeric suffix if taken). */
    key: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'must be 1 to 100 lower-case letters, digits, - or _, starting with a letter or digit')
      .optional(),
    summary: z.string().max(2000, 'must be at most 2000 characters').nullable().optional(),
    card: personaCardSchema.optional(),
    rules: z
      .array(z.strictObject({ condition, weight, label: text(200).optional() }))
      .min(1, 'a persona needs at least one rule')
      .max(MAX_PERSONA_RULES, `at most ${MAX_PERSONA_RULES} rules`),
    minScore: z.number({ error: 'must be a number' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
  });
}

/** A persona to create or replace, for clients (admin UI forms, request bodies, CLI files, OpenAPI). */
export const personaInputSchema = personaInput(segmentConditionSchema);
export type PersonaInput = z.input<typeof personaInputSchema>;

/**
 * The same shape with each rule's condition left unchecked: the server checks conditions with the
 * segment validator, which names the offending field inside the tree (`rules.0.condition.all[1].op`).
 */
export const personaEnvelopeSchema = personaInput(z.unknown());
