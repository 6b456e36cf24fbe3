import type { DiscoveryFeature } from './discovery-features.js';
import type { ExtractedPeople } from './discovery-extraction.js';

/** Most values of a categorical feature that get their own column; the rarer ones share "other" (all zeros). */
export const MAX_CATEGORIES = 8;
/** A value of a categorical feature held by fewer people than this share joins "other". */
export const MIN_CATEGORY_SHARE = 0.01;

/** One column of the matrix the clustering runs on. */
export interface MatrixColumn {
  feature: string;
  /** `value`: a numeric feature, standardized; `missing`: its missing-indicator; `category`: one value of a categorical feature (one-hot). */
  role: 'value' | 'missing' | 'category';
  category?: string;
}

/** How a numeric feature was normalized, to read its values back. */
export interface NumericStats {
  transform: 'log' | 'none';
  median: number;
  mean: number;
  sd: number;
  missing: number;
}

/** A feature left out, and why. */
export interface DroppedFeature {
  feature: string;
  reason: 'no data' | 'constant';
}

export interface FeatureMatrix {
  rows: number;
  columns: MatrixColumn[];
  /** Row-major: row i's values at [i * columns.length, (i + 1) * columns.length). */
  values: Float64Array;
  /** The features used, in column order. */
  used: DiscoveryFeature[];
  dropped: DroppedFeature[];
  stats: Map<string, NumericStats>;
}

export const logTransform = (x: number) => Math.sign(x) * Math.log1p(Math.abs(x));

export function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Normalizes the extracted features into the clustering matrix:
 * - numeric features: missing values as the feature says (0, or not known), then log-transformed when
 *   heavy-tailed, unknown values imputed to the median of the known ones, then standardized (z-score);
 *   a feature with unknown values gets a 0/1 missing-indicator column beside it;
 * - categorical features: one 0/1 column per value (at most `MAX_CATEGORIES`, each held by at least
 *   `MIN_CATEGORY_SHARE` of the people; rarer values and missing ones are all zeros), with a
 *   missing-indicator when some people have no value;
 * - a feature nobody has (`no data`) or with one value for everyone (`constant`) is left out.
 * Binary columns stay 0/1 (a standard deviation of at most 0.5): standardizing a rare category would
 * let it outweigh every behaviour in the distance.
 */
export function buildFeatureMatrix(people: ExtractedPeople): FeatureMatrix {
  const n = people.ids.length;
  const dropped: DroppedFeature[] = [];
  const used: DiscoveryFeature[] = [];
  const stats = new Map<string, NumericStats>();
  const columns: { column: MatrixColumn; values: Float64Array }[] = [];
  for (const feature of people.features) {
    if (feature.type === 'numeric') {
      const raw = people.numeric.get(feature.key)!;
      const known: number[] = [];
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = raw[i]!;
        x[i] = Number.isNaN(v) ? Number.NaN : feature.transform === 'log' ? logTransform(v) : v;
        if (!Number.isNaN(v)) known.push(x[i]!);
      }
      if (known.length === 0) {
        dropped.push({ feature: feature.key, reason: 'no data' });
        continue;
      }
      known.sort((a, b) => a - b);
      const med = median(known);
      const missing = n - known.length;
      for (let i = 0; i < n; i++) if (Number.isNaN(x[i]!)) x[i] = med;
      const { mean, sd } = meanSd(x);
      if (sd === 0 && missing === 0) {
        dropped.push({ feature: feature.key, reason: 'constant' });
        continue;
      }
      used.push(feature);
      stats.set(feature.key, { transform: feature.transform, median: med, mean, sd, missing });
      if (sd > 0) {
        for (let i = 0; i < n; i++) x[i] = (x[i]! - mean) / sd;
        columns.push({ column: { feature: feature.key, role: 'value' }, values: x });
      }
      if (missing > 0) {
        const indicator = new Float64Array(n);
        for (let i = 0; i < n; i++) indicator[i] = Number.isNaN(raw[i]!) ? 1 : 0;
        columns.push({ column: { feature: feature.key, role: 'missing' }, values: indicator });
      }
    } else {
      const raw = people.categorical.get(feature.key)!;
      const counts = new Map<string, number>();
      let missing = 0;
      for (const v of raw) {
        if (v === null) missing++;
        else counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      if (counts.size === 0) {
        dropped.push({ feature: feature.key, reason: 'no data' });
        continue;
      }
      if (counts.size === 1 && missing === 0) {
        dropped.push({ feature: feature.key, reason: 'constant' });
        continue;
      }
      const kept = [...counts]
        .filter(([, c]) => c >= MIN_CATEGORY_SHARE * n)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, MAX_CATEGORIES)
        .map(([v]) => v);
      used.push(feature);
      for (const value of kept) {
        const col = new Float64Array(n);
        for (let i = 0; i < n; i++) col[i] = raw[i] === value ? 1 : 0;
        columns.push({ column: { feature: feature.key, role: 'category', category: value }, values: col });
      }
      if (missing > 0) {
        const indicator = new Float64Array(n);
        for (let i = 0; i < n; i++) indicator[i] = raw[i] === null ? 1 : 0;
        columns.push({ column: { feature: feature.key, role: 'missing' }, values: indicator });
      }
    }
  }
  const width = columns.length;
  const values = new Float64Array(n * width);
  columns.forEach(({ values: col }, j) => {
    for (let i = 0; i < n; i++) values[i * width + j] = col[i]!;
  });
  return { rows: n, columns: columns.map((c) => c.column), values, used, dropped, stats };
}

export function meanSd(x: ArrayLike<number>): { mean: number; sd: number } {
  const n = x.length;
  if (n === 0) return { mean: Number.NaN, sd: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += x[i]!;
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (x[i]! - mean) ** 2;
  const sd = Math.sqrt(sq / n);
  // Rounding leaves a constant column a hair above zero.
  return { mean, sd: sd < 1e-12 * Math.max(1, Math.abs(mean)) ? 0 : sd };
}
