import { z } from 'zod';

/**
 * The segment condition language (version 1): a JSON tree of `all` / `any` / `not` groups, any depth,
 * over leaves on traits, account traits, computed traits, identities, events, consent and membership
 * of other segments, personas and typologies. Exported for the admin UI and the API; the server
 * checks it further against the workspace's data (`SegmentValidator`).
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

export interface TraitCondition extends Comparison { trait: string }
export interface AccountTraitCondition extends Comparison { accountTrait: string }
export interface ComputedCondition extends Comparison { computed: string }
export interface IdentityCondition extends Comparison { identity: string }
export interface PropertyCondition extends Comparison { property: string }
export interface EventCondition {
  event: string;
  where?: PropertyCondition[];
  /** How many matching events (default: at least one). `{op: 'eq', value: 0}` is "did not do". */
  count?: { op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'; value: number };
  /** ISO-8601 duration back from now, e.g. `P90D`. */
  within?: string;
  /** Two ISO-8601 instants, from inclusive to exclusive. */
  between?: [string, string];
}
export interface ConsentCondition { consent: string; granted: boolean }
export interface SegmentMembershipCondition { segment: string }
export interface PersonaCondition { persona: string }
export interface TypologyCondition { typology: string }

export type SegmentLeaf =
  | TraitCondition
  | AccountTraitCondition
  | ComputedCondition
  | IdentityCondition
  | EventCondition
  | ConsentCondition
  | SegmentMembershipCondition
  | PersonaCondition
  | TypologyCondition;

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
const NAME = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean()]);
const value = z.union([scalar, z.array(scalar).max(1000)]);
const op = z.enum(COMPARISON_OPERATORS);
const instant = z.string().refine(isIsoInstant, 'must be an ISO-8601 instant, e.g. 2026-01-31T12:00:00Z');

const comparison = { op, value: value.optional() };
export const traitConditionSchema = z.strictObject({ trait: NAME, ...comparison });
export const accountTraitConditionSchema = z.strictObject({ accountTrait: NAME, ...comparison });
export const computedConditionSchema = z.strictObject({ computed: NAME, ...comparison });
export const identityConditionSchema = z.strictObject({ identity: NAME, ...comparison });
export const propertyConditionSchema = z.strictObject({ property: NAME, ...comparison });
export const eventConditionSchema = z.strictObject({
  event: NAME,
  where: z.array(propertyConditionSchema).max(20).optional(),
  count: z.strictObject({ op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']), value: z.number().int().min(0) }).optional(),
  within: z.string().regex(ISO_DURATION, 'must be an ISO-8601 duration such as P90D').optional(),
  between: z.tuple([instant, instant]).optional(),
});
export const consentConditionSchema = z.strictObject({ consent: NAME, granted: z.boolean() });
export const segmentMembershipConditionSchema = z.strictObject({ segment: z.uuid('must be a segment id') });
export const personaConditionSchema = z.strictObject({ persona: z.uuid('must be a persona id') });
export const typologyConditionSchema = z.strictObject({ typology: NAME });

/** The key that names each leaf kind, with its schema. */
export const LEAF_SCHEMAS = {
  trait: traitConditionSchema,
  accountTrait: accountTraitConditionSchema,
  computed: computedConditionSchema,
  identity: identityConditionSchema,
  event: eventConditionSchema,
  consent: consentConditionSchema,
  segment: segmentMembershipConditionSchema,
  persona: personaConditionSchema,
  typology: typologyConditionSchema,
} as const;
export type LeafKind = keyof typeof LEAF_SCHEMAS;

/** The whole tree, for clients (admin UI forms, API request bodies, OpenAPI). */
export const segmentConditionSchema: z.ZodType<SegmentCondition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(segmentConditionSchema).min(1) }),
    z.strictObject({ any: z.array(segmentConditionSchema).min(1) }),
    z.strictObject({ not: segmentConditionSchema }),
    ...Object.values(LEAF_SCHEMAS),
  ]),
) as z.ZodType<SegmentCondition>;

/** Which leaf kind (or group) a node is, by its naming key; undefined when none is present. */
export function nodeKind(node: object): LeafKind | 'all' | 'any' | 'not' | undefined {
  for (const key of ['all', 'any', 'not'] as const) if (key in node) return key;
  return (Object.keys(LEAF_SCHEMAS) as LeafKind[]).find((key) => key in node);
}
