import { z } from 'zod';
import type { SegmentLeaf } from './segment-leaves/segment-leaves.js';

/**
 * The segment condition language (version 1): a JSON tree of `all` / `any` / `not` groups, any depth,
 * over leaves on traits, account traits, computed traits, identities, events, consent and membership
 * of other segments, personas, typologies and ICP fits. Exported for the admin UI and the API; the server
 * checks it further against the workspace's data (`validateSegmentDefinition`). This file holds what the
 * leaves share (operators, values, dates); each leaf kind is one entry of `segment-leaves/`.
 */
export const SEGMENT_LANGUAGE_VERSION = 1;

export const COMPARISON_OPERATORS = [
  'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in',
  'contains', 'not_contains', 'starts_with', 'ends_with', 'exists', 'missing',
  'before', 'after', 'within_last', 'more_than_ago',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

/** Operators that take no value. */
export const VALUELESS_OPERATORS: readonly ComparisonOperator[] = ['exists', 'missing'];
/** Operators matching what the positive operator does not (a profile without the value matches them). */
export const NEGATED_OPERATORS: Partial<Record<ComparisonOperator, ComparisonOperator>> = {
  neq: 'eq',
  not_in: 'in',
  not_contains: 'contains',
  missing: 'exists',
};

export type Scalar = string | number | boolean;
export type ComparisonValue = Scalar | Scalar[];

export interface Comparison {
  op: ComparisonOperator;
  value?: ComparisonValue;
}

/** How an event leaf compares its count of matching events. */
export const COUNT_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;
export type CountOperator = (typeof COUNT_OPERATORS)[number];

// Each leaf kind is declared in one file of `segment-leaves/` (its type, schema, operators, checks and
// SQL); the registry there lists them.
export type { TraitCondition } from './segment-leaves/trait.leaf.js';
export type { AccountTraitCondition } from './segment-leaves/account-trait.leaf.js';
export type { ComputedCondition } from './segment-leaves/computed.leaf.js';
export type { IdentityCondition } from './segment-leaves/identity.leaf.js';
export type { EventCondition, PropertyCondition } from './segment-leaves/event.leaf.js';
export type { ConsentCondition } from './segment-leaves/consent.leaf.js';
export type { SegmentMembershipCondition } from './segment-leaves/segment.leaf.js';
export type { PersonaCondition } from './segment-leaves/persona.leaf.js';
export type { TypologyCondition } from './segment-leaves/typology.leaf.js';
export type { IcpCondition } from './segment-leaves/icp.leaf.js';
export type { SegmentLeaf } from './segment-leaves/segment-leaves.js';
export type SegmentCondition = { all: SegmentCondition[] } | { any: SegmentCondition[] } | { not: SegmentCondition } | SegmentLeaf;

/**
 * An ISO-8601 date or instant as segments compare them: `2026-01-31`, `2026-01-31T12:00:00Z`,
 * `2026-01-31 12:00:00.5+02:00`. Trait values of another form are not dates (the database function
 * `portrait_try_timestamptz` applies the same rule).
 */
export const ISO_INSTANT = /^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?$/;

export function isIsoInstant(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) return false;
  const [year, month, day] = [Number(value.slice(0, 4)), Number(value.slice(5, 7)), Number(value.slice(8, 10))];
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** ISO-8601 duration with at least one part: P90D, PT12H, P1Y2M, P2W. */
export const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/;
/** What a trait name, property name or identity type may look like (mirrors the ingest's vocabulary, loosely). */
export const leafName = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);
const value = z.union([scalar, z.array(scalar).max(1000)]);
/** The fields of a comparison leaf beside its name: `{ op, value }`. */
export const comparisonFields = { op: z.enum(COMPARISON_OPERATORS), value: value.optional() };
