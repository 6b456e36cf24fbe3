import { kmeans } from 'ml-kmeans';

/** Points the silhouette of each k is measured on (its cost grows with their square). */
export const SILHOUETTE_SAMPLE = 2_000;
/** k-means runs per k, each from its own k-means++ start; the one with the least inertia is kept. */
export const KMEANS_RESTARTS = 3;
const MAX_ITERATIONS = 100;

/** A seeded pseudo-random generator in [0, 1) (mulberry32): the same seed, the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` distinct indexes of [0, n), in increasing order, drawn with `random`; all of them when n ≤ size. */
export function sampleIndexes(n: number, size: number, random: () => number): Uint32Array {
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  if (n <= size) return all;
  // A partial Fisher–Yates shuffle: the first `size` slots end up a uniform sample.
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, size).sort();
}

/** Row-major points: `dims` values per point. */
export interface Points {
  values: Float64Array;
  dims: number;
}

const row = (p: Points, i: number) => Array.from(p.values.subarray(i * p.dims, (i + 1) * p.dims));

function squaredDistance(p: Points, i: number, centroid: number[]): number {
  let s = 0;
  const base = i * p.dims;
  for (let d = 0; d < p.dims; d++) {
    const diff = p.values[base + d]! - centroid[d]!;
    s += diff * diff;
  }
  return s;
}

/** Each point's nearest centroid (ties to the lower index). */
export function nearestCentroids(p: Points, centroids: number[][]): Int32Array {
  const n = p.values.length / p.dims;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    centroids.forEach((c, k) => {
      const d = squaredDistance(p, i, c);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    });
    labels[i] = best;
  }
  return labels;
}

/**
 * The mean silhouette of a labelling (Rousseeuw 1987): for each point, (b − a) / max(a, b) with `a` its
 * mean distance to the rest of its cluster and `b` its mean distance to the nearest other cluster; 0
 * for a point alone in its cluster. Between −1 and 1, higher is better separated.
 */
export function silhouette(p: Points, labels: ArrayLike<number>, k: number): number {
  const n = labels.length;
  if (n < 2) return 0;
  let total = 0;
  const sums = new Float64Array(k);
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) counts[labels[i]!]!++;
  for (let i = 0; i < n; i++) {
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let s = 0;
      for (let d = 0; d < p.dims; d++) {
        const diff = p.values[i * p.dims + d]! - p.values[j * p.dims + d]!;
        s += diff * diff;
      }
      sums[labels[j]!]! += Math.sqrt(s);
    }
    const own = labels[i]!;
    if (counts[own]! <= 1) continue;
    const a = sums[own]! / (counts[own]! - 1);
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]! > 0) b = Math.min(b, sums[c]! / counts[c]!);
    if (Number.isFinite(b)) total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

export interface KChoice {
  k: number;
  silhouette: number;
  inertia: number;
}

export interface Clustering {
  k: number;
  centroids: number[][];
  /** The silhouette and inertia of each k tried, in order. */
  tried: KChoice[];
  /** Points the centroids were fitted on. */
  sampleSize: number;
}

/**
 * k-means (the `ml-kmeans` library, k-means++ starts seeded from `seed`) for each k of [minK, maxK] on a
 * seeded sample of at most `sampleSize` points, each k `KMEANS_RESTARTS` times keeping the least
 * inertia; the k of the best silhouette (measured on at most `SILHOUETTE_SAMPLE` points of the sample)
 * wins, the smaller k on a tie. The same points and seed give the same clustering. `onK` is told after
 * each k.
 */
export async function chooseClustering(
  p: Points,
  options: { minK: number; maxK: number; seed: number; sampleSize: number },
  onK?: (done: number, of: number) => Promise<void> | void,
): Promise<Clustering> {
  const n = p.values.length / p.dims;
  const random = seededRandom(options.seed);
  const sample = sampleIndexes(n, options.sampleSize, random);
  const data = Array.from(sample, (i) => row(p, i));
  const sampled: Points = { values: Float64Array.from(data.flat()), dims: p.dims };
  const forSilhouette = sampleIndexes(sample.length, SILHOUETTE_SAMPLE, random);
  const silhouettePoints: Points = { values: Float64Array.from(Array.from(forSilhouette, (i) => data[i]!).flat()), dims: p.dims };
  const maxK = Math.min(options.maxK, sample.length - 1);
  const tried: KChoice[] = [];
  let best: { choice: KChoice; centroids: number[][] } | undefined;
  for (let k = options.minK; k <= maxK; k++) {
    let fit: { centroids: number[][]; inertia: number } | undefined;
    for (let restart = 0; restart < KMEANS_RESTARTS; restart++) {
      const result = kmeans(data, k, { initialization: 'kmeans++', seed: options.seed * KMEANS_RESTARTS + restart, maxIterations: MAX_ITERATIONS });
      const labels = nearestCentroids(sampled, result.centroids);
      let inertia = 0;
      for (let i = 0; i < labels.length; i++) inertia += squaredDistance(sampled, i, result.centroids[labels[i]!]!);
      if (!fit || inertia < fit.inertia) fit = { centroids: result.centroids, inertia };
    }
    const labels = nearestCentroids(silhouettePoints, fit!.centroids);
    const choice = { k, silhouette: round(silhouette(silhouettePoints, labels, k), 4), inertia: round(fit!.inertia, 2) };
    tried.push(choice);
    if (!best || choice.silhouette > best.choice.silhouette) best = { choice, centroids: fit!.centroids };
    await onK?.(k - options.minK + 1, maxK - options.minK + 1);
  }
  return { k: best!.choice.k, centroids: best!.centroids, tried, sampleSize: sample.length };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
