import { discoveryParamsInputSchema, personaEnvelopeSchema } from '@portrait/core';
import { isoDateTime, personaSchema } from '@portrait/core/http';
import { z } from 'zod';

export const startDiscoverySchema = discoveryParamsInputSchema.meta({
  id: 'StartPersonaDiscovery',
  description: 'Every field optional: the range of k tried (the best silhouette wins), the seed, and the most people the centroids are fitted on',
});

export const acceptDraftSchema = personaEnvelopeSchema.partial().meta({
  id: 'AcceptPersonaDraft',
  description: 'Edits over the draft\'s proposed persona (any persona field: name, key, summary, card, rules, minScore); an empty object accepts it as proposed',
});

const featureValue = z.object({
  feature: z.string(),
  label: z.string(),
  value: z.union([z.number(), z.string()]).nullable().describe('The cluster\'s median (numeric feature) or most common value (categorical one)'),
  rest: z.union([z.number(), z.string()]).nullable().describe('The same for everyone outside the cluster'),
  share: z.number().optional().describe('Categorical feature: the share of the cluster holding `value`'),
  text: z.string().describe('In human units: "spends about R$320 per order"'),
});

const draftSchema = z
  .object({
    number: z.number().int().describe('1 for the largest cluster, then by size'),
    size: z.number().int().describe('People in the cluster'),
    share: z.number().describe('Their share of the workspace\'s people (0 to 1)'),
    centroid: z.array(featureValue).describe('The cluster in human units, feature by feature'),
    distinguishing: z
      .array(
        z.object({
          feature: z.string(),
          label: z.string(),
          category: z.string().optional(),
          effectSize: z.number().describe('Cohen\'s d of the cluster against the rest'),
          direction: z.enum(['higher', 'lower']),
        }),
      )
      .describe('What sets the cluster apart, the largest effect first'),
    persona: z
      .object({ name: z.string(), summary: z.string(), card: z.record(z.string(), z.unknown()), rules: personaSchema.shape.rules, minScore: z.number() })
      .describe('The persona the draft proposes; its rules are in the segment language, from the cluster\'s bounds'),
    acceptedPersonaId: z.uuid().nullable().describe('The persona created from this draft, once accepted'),
    acceptedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'PersonaDraft' });

export const discoverySchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    phase: z.enum(['reading', 'clustering', 'assigning', 'describing', 'done']).nullable(),
    progress: z.number().describe('0 to 1'),
    params: z.object({ minK: z.number().int(), maxK: z.number().int(), seed: z.number().int(), sampleSize: z.number().int() }),
    summary: z
      .object({
        people: z.number().int(),
        sampleSize: z.number().int(),
        k: z.number().int(),
        silhouettes: z.array(z.object({ k: z.number().int(), silhouette: z.number(), inertia: z.number() })),
        features: z.array(z.object({ feature: z.string(), label: z.string(), missing: z.number().int().describe('People without a value (imputed)') })),
        dropped: z.array(z.object({ feature: z.string(), reason: z.enum(['no data', 'constant']) })),
        currency: z.string().nullable(),
      })
      .nullable()
      .describe('What the run found, once it succeeded'),
    error: z.string().nullable().describe('Why a failed run failed'),
    drafts: z.array(draftSchema),
    createdAt: isoDateTime,
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'PersonaDiscovery', description: 'A discovery run of draft personas: k-means over the workspace\'s people, k chosen by silhouette' });
