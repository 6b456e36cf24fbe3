import type { SegmentCondition } from '../../segments/segment-definition.js';
import { isTypology, type PersonaCard, type PersonaRule } from '../persona-definition.js';
import type { ExtractedPeople } from './discovery-extraction.js';
import type { DiscoveryFeature, FeatureUnit, NumericFeature } from './discovery-features.js';
import { logTransform, median, meanSd, type FeatureMatrix } from './feature-matrix.js';

/** An effect size at least this large (in absolute value) sets a cluster apart. */
export const DISTINGUISHING_EFFECT = 0.5;
/** At most this many rules per draft, from the most distinguishing features. */
export const MAX_DRAFT_RULES = 4;
/** The score a profile must reach to be assigned an accepted draft's persona. */
export const DRAFT_MIN_SCORE = 0.6;
/** A numeric rule is weak when at least this share of the other people (who have the value) fall in its range too: used only when no other rule is. */
export const MAX_REST_INSIDE_RULE = 0.8;
/** A rule's range covers the cluster's values from this quantile to its mirror (5 % to 95 %). */
const RULE_QUANTILE = 0.05;

/** One feature of a cluster in human units, beside the rest of the people. */
export interface DraftFeatureValue {
  feature: string;
  label: string;
  /** The cluster's typical value: the median (numeric), or the most common value (categorical). */
  value: number | string | null;
  /** The same, for everyone outside the cluster. */
  rest: number | string | null;
  /** For a categorical feature: the share of the cluster holding `value`. */
  share?: number;
  /** The value as a phrase: `spends about R$320 per order`. */
  text: string;
}

/** A feature that sets the cluster apart, with Cohen's d of the cluster against the rest. */
export interface DistinguishingFeature {
  feature: string;
  label: string;
  /** For a categorical feature: the value whose share differs. */
  category?: string;
  /** Cohen's d: the difference of means over the pooled standard deviation (on the clustered scale; for a category, on its 0/1 column). */
  effectSize: number;
  direction: 'higher' | 'lower';
}

/** The persona a draft proposes, ready for the personas service. */
export interface DraftPersona {
  name: string;
  summary: string;
  card: PersonaCard;
  rules: PersonaRule[];
  minScore: number;
}

export interface DiscoveryDraft {
  number: number;
  size: number;
  share: number;
  centroid: DraftFeatureValue[];
  distinguishing: DistinguishingFeature[];
  persona: DraftPersona;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A value in human units: money in the workspace's currency when known, shares in percent, counts and days whole. */
export function formatValue(value: number, unit: FeatureUnit, currency: string | null): string {
  switch (unit) {
    case 'money':
    {
      // Whole amounts and large ones without cents: "$0", "$320"; small ones with them: "$12.50".
      const digits = Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : 2;
      return currency
        ? new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value)
        : new Intl.NumberFormat('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
    }
    case 'share':
      return `${Math.round(value * 100)}%`;
    case 'count':
      return value < 10 ? String(round(value, 1)) : String(Math.round(value));
    default:
      return String(Math.round(value));
  }
}

/** The q-quantile of sorted values (linear interpolation). */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Cohen's d of two groups; 0 when neither varies and their means agree, ±10 at most. */
export function cohensD(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) return 0;
  const ma = meanSd(a);
  const mb = meanSd(b);
  const na = a.length;
  const nb = b.length;
  const pooled = Math.sqrt((na * ma.sd ** 2 + nb * mb.sd ** 2) / Math.max(na + nb - 2, 1));
  const diff = ma.mean - mb.mean;
  if (pooled === 0) return diff === 0 ? 0 : Math.sign(diff) * 10;
  return Math.max(-10, Math.min(10, diff / pooled));
}

/** A rule range [lo, hi] rounded outwards to the feature's unit. */
function ruleBounds(lo: number, hi: number, unit: FeatureUnit): [number, number] {
  const digits = unit === 'money' || unit === 'share' ? 2 : 0;
  const f = 10 ** digits;
  return [Math.floor(lo * f) / f, Math.ceil(hi * f) / f];
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The drafts of a clustering: one per non-empty cluster, largest first, each with its size and share,
 * its values in human units against the rest's, the features that set it apart (Cohen's d, largest
 * first) and the persona it proposes — a name from its most distinguishing features, a summary, a
 * card (country, age range, typology when most of the cluster shares one) and weighted rules: for each
 * of the (at most `MAX_DRAFT_RULES`) distinguishing features that has a leaf in the segment language,
 * the range of the cluster's values from its 5th to its 95th percentile (a numeric feature; a range
 * that holds most of the other people too only when nothing better is left), or the value most of the
 * cluster holds (a categorical one), weighted by the effect size.
 */
export function buildDrafts(people: ExtractedPeople, matrix: FeatureMatrix, labels: Int32Array, k: number): DiscoveryDraft[] {
  const n = labels.length;
  const members: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]!]!.push(i);
  const order = members.map((m, c) => ({ c, size: m.length })).filter((x) => x.size > 0).sort((a, b) => b.size - a.size || a.c - b.c);
  return order.map(({ c }, index) => {
    const inCluster = new Uint8Array(n);
    for (const i of members[c]!) inCluster[i] = 1;
    const centroid: DraftFeatureValue[] = [];
    const distinguishing: (DistinguishingFeature & { rule?: SegmentCondition; weak?: boolean })[] = [];
    for (const feature of matrix.used) {
      if (feature.type === 'numeric') {
        const { value, rest, effect, rule, weak } = describeNumeric(feature, people, inCluster);
        centroid.push({ feature: feature.key, label: feature.label, value: value === null ? null : round(value), rest: rest === null ? null : round(rest), text: value === null ? `${feature.label} not known` : feature.phrase(formatValue(value, feature.unit, people.currency)) });
        if (Math.abs(effect) > 0) distinguishing.push({ feature: feature.key, label: feature.label, effectSize: round(effect), direction: effect > 0 ? 'higher' : 'lower', rule, weak });
      } else {
        const described = describeCategorical(feature, people, matrix, inCluster);
        centroid.push(described.centroid);
        distinguishing.push(...described.distinguishing);
      }
    }
    distinguishing.sort((a, b) => Math.abs(b.effectSize) - Math.abs(a.effectSize) || a.feature.localeCompare(b.feature));
    const size = members[c]!.length;
    const share = round(size / n, 4);
    const byEffect = (f: DraftFeatureValue) => Math.max(0, ...distinguishing.filter((d) => d.feature === f.feature).map((d) => Math.abs(d.effectSize)));
    const phrases = [...centroid].sort((a, b) => byEffect(b) - byEffect(a)).filter((f) => f.value !== null && (f.share ?? 1) >= 0.5).map((f) => f.text);
    const strong = distinguishing.filter((d) => Math.abs(d.effectSize) >= DISTINGUISHING_EFFECT);
    // Strong and discriminating rules; failing those, discriminating ones; failing those, any.
    const candidates = [strong.filter((d) => d.rule && !d.weak), distinguishing.filter((d) => d.rule && !d.weak), distinguishing.filter((d) => d.rule)];
    const ruled = (candidates.find((c) => c.length) ?? []).slice(0, MAX_DRAFT_RULES);
    const rules: PersonaRule[] = ruled.map((d) => ({
      condition: d.rule!,
      weight: Math.max(0.1, round(Math.min(Math.abs(d.effectSize), 10))),
      label: d.category ? `${d.label}: ${d.category}` : `${d.direction} ${d.label}`,
    }));
    const words = strong.slice(0, 2).map((d) => nameWord(d, people.features)).filter((w): w is string => Boolean(w));
    const name = words.length ? `${capitalize(words.join(', '))} customers` : 'Typical customers';
    return {
      number: index + 1,
      size,
      share,
      centroid,
      distinguishing: distinguishing.map(({ rule: _rule, weak: _weak, ...d }) => d),
      persona: {
        name,
        summary: `${size} people (${formatValue(share, 'share', null)} of the workspace) who ${phrases.join(', ')}.`.slice(0, 2000),
        card: cardOf(centroid),
        rules,
        minScore: DRAFT_MIN_SCORE,
      },
    };
  });
}

function describeNumeric(feature: NumericFeature, people: ExtractedPeople, inCluster: Uint8Array) {
  const raw = people.numeric.get(feature.key)!;
  const mine: number[] = [];
  const others: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (Number.isNaN(v)) continue;
    (inCluster[i] ? mine : others).push(v);
  }
  mine.sort((a, b) => a - b);
  others.sort((a, b) => a - b);
  const scale = (xs: number[]) => (feature.transform === 'log' ? xs.map(logTransform) : xs);
  const effect = cohensD(scale(mine), scale(others));
  let rule: SegmentCondition | undefined;
  let weak = false;
  if (feature.rule && mine.length) {
    const [lo, hi] = ruleBounds(quantile(mine, RULE_QUANTILE), quantile(mine, 1 - RULE_QUANTILE), feature.unit);
    rule = feature.rule(lo, hi);
    // A range holding most of the rest too tells the cluster from hardly anyone.
    weak = others.length > 0 && others.filter((v) => v >= lo && v <= hi).length / others.length >= MAX_REST_INSIDE_RULE;
  }
  return { value: mine.length ? median(mine) : null, rest: others.length ? median(others) : null, effect, rule, weak };
}

function describeCategorical(feature: Extract<DiscoveryFeature, { type: 'categorical' }>, people: ExtractedPeople, matrix: FeatureMatrix, inCluster: Uint8Array) {
  const raw = people.categorical.get(feature.key)!;
  const size = inCluster.reduce((s, x) => s + x, 0);
  const mode = (want: number) => {
    const counts = new Map<string, number>();
    let total = 0;
    raw.forEach((v, i) => {
      if (inCluster[i] !== want) return;
      total++;
      if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    });
    const [top] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return top ? { value: top[0], share: top[1] / Math.max(total, 1) } : null;
  };
  const mine = mode(1);
  const rest = mode(0);
  const distinguishing: (DistinguishingFeature & { rule?: SegmentCondition; weak?: boolean })[] = [];
  for (const column of matrix.columns) {
    if (column.feature !== feature.key || column.role !== 'category') continue;
    const a: number[] = [];
    const b: number[] = [];
    raw.forEach((v, i) => (inCluster[i] ? a : b).push(v === column.category ? 1 : 0));
    const effect = cohensD(a, b);
    const held = a.reduce((s, x) => s + x, 0) / Math.max(size, 1);
    if (effect === 0) continue;
    distinguishing.push({
      feature: feature.key,
      label: feature.label,
      category: column.category!,
      effectSize: round(effect),
      direction: effect > 0 ? 'higher' : 'lower',
      // Only a value most of the cluster holds, and more than the rest do, makes a rule.
      ...(effect > 0 && held >= 0.5 ? { rule: feature.rule(column.category!) } : {}),
    });
  }
  const centroid: DraftFeatureValue = {
    feature: feature.key,
    label: feature.label,
    value: mine?.value ?? null,
    rest: rest?.value ?? null,
    ...(mine ? { share: round(mine.share, 4) } : {}),
    text: mine ? feature.phrase(mine.value, formatValue(mine.share, 'share', null)) : `${feature.label} not known`,
  };
  return { centroid, distinguishing };
}

/** The draft name's word of a distinguishing feature: `high-value`, `recent`, `from BR`. */
function nameWord(d: DistinguishingFeature, features: DiscoveryFeature[]): string | undefined {
  const feature = features.find((f) => f.key === d.feature)!;
  if (feature.type === 'numeric') return d.direction === 'higher' ? feature.high : feature.low;
  return d.direction === 'higher' && d.category ? feature.word(d.category) : undefined;
}

/** The card's facts that the cluster's values give: country and typology (when most of the cluster shares one), age range. */
function cardOf(centroid: DraftFeatureValue[]): PersonaCard {
  const demographics: Record<string, string | number> = {};
  const card: PersonaCard = {};
  for (const f of centroid) {
    if (f.value === null || (f.share ?? 1) < 0.5) continue;
    if (f.feature === 'region') demographics.country = f.value;
    if (f.feature === 'age' && typeof f.value === 'number') {
      const decade = Math.floor(f.value / 10) * 10;
      demographics.age_range = `${decade}-${decade + 9}`;
    }
    if (f.feature === 'typology' && isTypology(f.value)) card.typology = f.value;
  }
  if (Object.keys(demographics).length) card.demographics = demographics;
  return card;
}
