import { z } from 'zod';

/** Default range of k tried, the seed, and the largest sample the centroids are fitted on. */
export const DISCOVERY_DEFAULTS = { minK: 2, maxK: 8, seed: 1, sampleSize: 20_000 } as const;
/** The largest k a discovery tries. */
export const MAX_DISCOVERY_K = 20;

const int = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/**
 * What a discovery is asked: the range of k tried (`minK`..`maxK`, the best silhouette wins), the seed
 * (the same seed on the same data gives the same drafts) and `sampleSize`, the most people the centroids
 * are fitted on (everyone is then assigned to the nearest centroid). Every field is optional.
 */
export const discoveryParamsInputSchema = z.strictObject({
  minK: int(2, MAX_DISCOVERY_K).optional().describe(`The smallest k tried (default ${DISCOVERY_DEFAULTS.minK})`),
  maxK: int(2, MAX_DISCOVERY_K).optional().describe(`The largest k tried (default ${DISCOVERY_DEFAULTS.maxK}); at least minK`),
  seed: int(0, 2 ** 31 - 1).optional().describe(`The seed of the sample and of the k-means++ starts (default ${DISCOVERY_DEFAULTS.seed}): the same seed on the same data gives the same drafts`),
  sampleSize: int(100, 200_000).optional().describe(`The most people the centroids are fitted on (default ${DISCOVERY_DEFAULTS.sampleSize}); everyone is then assigned to the nearest centroid`),
});

/** The same with its defaults filled in and the range checked. */
export const discoveryParamsSchema = discoveryParamsInputSchema
  .transform((p) => ({ ...DISCOVERY_DEFAULTS, ...p }))
  .superRefine((p, ctx) => {
    if (p.maxK < p.minK) ctx.addIssue({ code: 'custom', path: ['maxK'], message: `must be at least minK (${p.minK})` });
  });

export type DiscoveryParamsInput = z.input<typeof discoveryParamsSchema>;
export type DiscoveryParams = z.output<typeof discoveryParamsSchema>;
