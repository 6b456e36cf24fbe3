import { z } from 'zod';
import { personaCardSchema, TYPOLOGIES } from '../modules/personas/persona-definition.js';
import { isoDateTime } from './schema-primitives.js';

/** Buyer personas as both HTTP apps answer them. */

export const personaCardDocument = personaCardSchema.meta({
  id: 'PersonaCard',
  description: `Who the persona is, every part optional: free-form demographics (\`{age_range: "30-45", location: "São Paulo"}\`), role, goals, pain points, fears, information sources, preferred channels and typology (${TYPOLOGIES.join(', ')})`,
});

export const personaRuleSchema = z
  .object({
    condition: z
      .record(z.string(), z.unknown())
      .describe('A condition tree of the segment language v1 (`{all: [...]}`, `{any: [...]}`, `{not: {...}}` over leaves on traits, account traits, computed traits, identities, events, consent and typologies)'),
    weight: z.number().describe('What a profile earns when the condition holds (greater than 0)'),
    label: z.string().optional().describe('What the rule stands for, for people'),
  })
  .meta({ id: 'PersonaRule', description: 'A weighted matching rule' });

export const personaSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    key: z.string().describe('A stable handle, unique among the workspace\'s personas'),
    summary: z.string().nullable(),
    card: personaCardDocument,
    rules: z.array(personaRuleSchema),
    minScore: z.number().describe('The score (0 to 1) a profile must reach to be assigned this persona'),
    version: z.number().int().describe('Revision of the rules: bumped by each change of the rules or the minimum score'),
    size: z.number().int().describe('Profiles assigned this persona now'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({
    id: 'Persona',
    description:
      'A buyer persona: a card and weighted matching rules. A profile\'s score for a persona is the weight of the rules it matches over the total weight; each person is assigned the persona with the highest score that reaches that persona\'s minimum (ties: the older persona).',
  });

export const personaPageSchema = z
  .object({ data: z.array(personaSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'PersonaPage' });
