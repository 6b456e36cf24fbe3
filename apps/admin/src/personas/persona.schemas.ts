import { personaEnvelopeSchema, TYPOLOGIES } from '@portrait/core';
import { z } from 'zod';

const rulesDescription =
  'Weighted matching rules: each `{condition, weight, label?}`, the condition written in the segment language (checked against the workspace\'s data, errors named `rules.<i>.condition.…`); leaves on segments and personas are refused';

export const createPersonaSchema = personaEnvelopeSchema.meta({
  id: 'CreatePersona',
  description: `A buyer persona: \`name\`, \`rules\` (${rulesDescription}), and optionally \`key\`, \`summary\`, \`card\` (demographics, role, goals, pain_points, fears, information_sources, preferred_channels, typology: ${TYPOLOGIES.join(', ')}) and \`minScore\` (0 to 1, default 0.5)`,
});

export const updatePersonaSchema = personaEnvelopeSchema.partial().meta({
  id: 'UpdatePersona',
  description: 'The fields to change (a given `card` or `rules` replaces the whole of it); the workspace\'s profiles are assigned again',
});

export const personaMemberPageSchema = z
  .object({
    data: z.array(z.object({ profileId: z.uuid(), score: z.number().describe('The profile\'s score for the persona'), assignedAt: z.string().meta({ format: 'date-time' }) })),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'PersonaMemberPage' });
