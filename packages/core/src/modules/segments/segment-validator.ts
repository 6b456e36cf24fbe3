import type { z } from 'zod';
import type { ObservedType, SegmentCatalog } from './segment-catalog.service.js';
import {
  ISO_DURATION,
  isIsoInstant,
  LEAF_SCHEMAS,
  nodeKind,
  VALUELESS_OPERATORS,
  type Comparison,
  type ComparisonOperator,
  type SegmentCondition,
} from './segment-definition.js';
import type { SegmentFieldError } from './segment.exception.js';

const MAX_DEPTH = 32;
const MAX_NODES = 500;

/** Operators each observed type accepts. Untyped (never observed) names accept any operator whose value fits. */
const OPERATORS_BY_TYPE: Record<Exclude<ObservedType, 'mixed'>, readonly ComparisonOperator[]> = {
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'exists', 'missing'],
  string: ['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'ends_with', 'exists', 'missing'],
  date: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'before', 'after', 'within_last', 'more_than_ago', 'exists', 'missing'],
  boolean: ['eq', 'neq', 'exists', 'missing'],
  array: ['contains', 'not_contains', 'exists', 'missing'],
  object: ['exists', 'missing'],
};

const isDate = isIsoInstant;
const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** `all[1].any[0].op` from a path of keys and indexes. */
export function fieldPath(path: (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

/** Whether the operator's value has the right shape (whatever the trait's type); a message when not. */
export function checkValueShape(c: Comparison): string | undefined {
  const { op, value } = c;
  if (VALUELESS_OPERATORS.includes(op)) return value === undefined ? undefined : `${op} takes no value`;
  if (value === undefined) return `${op} needs a value`;
  switch (op) {
    case 'eq':
    case 'neq':
      return isScalar(value) ? undefined : `${op} needs a string, number or boolean`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return typeof value === 'number' || isDate(value) ? undefined : `${op} needs a number or an ISO-8601 date`;
    case 'between':
      return Array.isArray(value) && value.length === 2 && (value.every((v) => typeof v === 'number') || value.every(isDate)) && value[0]! <= value[1]!
        ? undefined
        : 'between needs [low, high]: two numbers or two ISO-8601 dates, low first';
    case 'in':
    case 'not_in':
      return Array.isArray(value) && value.length > 0 ? undefined : `${op} needs a non-empty list`;
    case 'contains':
    case 'not_contains':
      return isScalar(value) ? undefined : `${op} needs a string (or, for a list, one element)`;
    case 'starts_with':
    case 'ends_with':
      return typeof value === 'string' ? undefined : `${op} needs a string`;
    case 'before':
    case 'after':
      return isDate(value) ? undefined : `${op} needs an ISO-8601 date`;
    case 'within_last':
    case 'more_than_ago':
      return typeof value === 'string' && ISO_DURATION.test(value) ? undefined : `${op} needs an ISO-8601 duration such as P30D`;
  }
}

/** Whether the operator and value suit a name of the observed type; a message and the offending field when not. */
function checkAgainstType(c: Comparison, type: ObservedType | undefined, name: string): SegmentFieldError | undefined {
  if (type === undefined || type === 'mixed') return undefined;
  if (!OPERATORS_BY_TYPE[type].includes(c.op)) {
    return { field: 'op', message: `${c.op} does not apply to ${name}, which holds ${type} values (use ${OPERATORS_BY_TYPE[type].join(', ')})` };
  }
  const values = c.value === undefined ? [] : Array.isArray(c.value) ? c.value : [c.value];
  if (['within_last', 'more_than_ago'].includes(c.op)) return undefined;
  const fits = (v: unknown) =>
    type === 'number' ? typeof v === 'number'
    : type === 'boolean' ? typeof v === 'boolean'
    : type === 'date' ? isDate(v)
    : type === 'array' ? isScalar(v)
    : typeof v === 'string';
  if (!values.every(fits)) return { field: 'value', message: `${name} holds ${type} values: the value must be ${type === 'array' ? 'one element' : `a ${type}`}` };
  return undefined;
}

/**
 * Checks a definition's structure, operators and values (against the workspace's observed trait types)
 * and returns every problem with its path; membership references are checked with `segmentExists`.
 */
export function validateSegmentDefinition(
  definition: unknown,
  catalog: SegmentCatalog,
  segmentExists: (id: string) => boolean,
): SegmentFieldError[] {
  const errors: SegmentFieldError[] = [];
  let nodes = 0;
  const issues = (schemaIssues: z.core.$ZodIssue[], path: (string | number)[]) => {
    for (const issue of schemaIssues) errors.push({ field: fieldPath([...path, ...(issue.path as (string | number)[])]), message: issue.message });
  };
  const comparison = (c: Comparison, path: (string | number)[], type: ObservedType | undefined, name: string) => {
    const shape = checkValueShape(c);
    if (shape) return void errors.push({ field: fieldPath([...path, VALUELESS_OPERATORS.includes(c.op) || c.value === undefined ? 'op' : 'value']), message: shape });
    const typed = checkAgainstType(c, type, name);
    if (typed) errors.push({ field: fieldPath([...path, typed.field]), message: typed.message });
  };
  const walk = (node: unknown, path: (string | number)[], depth: number) => {
    if (++nodes > MAX_NODES) return void (nodes === MAX_NODES + 1 && errors.push({ field: fieldPath(path), message: `a definition has at most ${MAX_NODES} conditions` }));
    if (depth > MAX_DEPTH) return void errors.push({ field: fieldPath(path), message: `conditions nest at most ${MAX_DEPTH} deep` });
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      return void errors.push({ field: fieldPath(path) || '(root)', message: 'must be a condition object: all, any, not or a leaf' });
    }
    const kind = nodeKind(node);
    if (kind === undefined) {
      return void errors.push({ field: fieldPath(path) || '(root)', message: `must have one of all, any, not, ${Object.keys(LEAF_SCHEMAS).join(', ')}` });
    }
    if (kind === 'all' || kind === 'any' || kind === 'not') {
      const extra = Object.keys(node).filter((k) => k !== kind);
      if (extra.length) errors.push({ field: fieldPath([...path, extra[0]!]), message: `a ${kind} group has no other key` });
      const inner = (node as Record<string, unknown>)[kind];
      if (kind === 'not') return walk(inner, [...path, 'not'], depth + 1);
      if (!Array.isArray(inner) || inner.length === 0) return void errors.push({ field: fieldPath([...path, kind]), message: 'must be a non-empty list of conditions' });
      inner.forEach((child, i) => walk(child, [...path, kind, i], depth + 1));
      return;
    }
    const parsed = LEAF_SCHEMAS[kind].safeParse(node);
    if (!parsed.success) return issues(parsed.error.issues, path);
    const leaf = parsed.data as Record<string, unknown>;
    switch (kind) {
      case 'trait':
        return comparison(leaf as unknown as Comparison, path, catalog.traits.get(leaf.trait as string), `trait ${leaf.trait as string}`);
      case 'computed':
        return comparison(leaf as unknown as Comparison, path, catalog.computed.get(leaf.computed as string), `computed trait ${leaf.computed as string}`);
      case 'accountTrait':
        return comparison(leaf as unknown as Comparison, path, catalog.traits.get(leaf.accountTrait as string), `trait ${leaf.accountTrait as string}`);
      case 'identity': {
        const c = leaf as unknown as Comparison;
        if (!['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'ends_with', 'exists', 'missing'].includes(c.op)) {
          return void errors.push({ field: fieldPath([...path, 'op']), message: `${c.op} does not apply to identifiers, which are strings` });
        }
        return comparison(c, path, 'string', `identifier ${leaf.identity as string}`);
      }
      case 'event': {
        const where = (leaf.where ?? []) as Comparison[];
        where.forEach((w, i) => comparison(w, [...path, 'where', i], undefined, 'property'));
        if (leaf.within !== undefined && leaf.between !== undefined) errors.push({ field: fieldPath([...path, 'between']), message: 'use within or between, not both' });
        const between = leaf.between as [string, string] | undefined;
        if (between && Date.parse(between[0]) >= Date.parse(between[1])) errors.push({ field: fieldPath([...path, 'between']), message: 'the first instant must come before the second' });
        return;
      }
      case 'segment':
        if (!segmentExists(leaf.segment as string)) errors.push({ field: fieldPath([...path, 'segment']), message: 'no such segment in this workspace' });
        return;
      default:
        return;
    }
  };
  walk(definition, [], 0);
  return errors;
}

/** Whether a definition depends on the clock (relative windows), so that it must be recomputed on a schedule. */
export function isTimeWindowed(condition: SegmentCondition, resolve: (segmentId: string) => SegmentCondition | undefined, seen = new Set<string>()): boolean {
  const node = condition as Record<string, unknown>;
  if ('all' in node) return (node.all as SegmentCondition[]).some((c) => isTimeWindowed(c, resolve, seen));
  if ('any' in node) return (node.any as SegmentCondition[]).some((c) => isTimeWindowed(c, resolve, seen));
  if ('not' in node) return isTimeWindowed(node.not as SegmentCondition, resolve, seen);
  if ('event' in node) return node.within !== undefined || ((node.where as Comparison[] | undefined) ?? []).some((w) => w.op === 'within_last' || w.op === 'more_than_ago');
  if ('segment' in node) {
    const id = node.segment as string;
    if (seen.has(id)) return false;
    seen.add(id);
    const inner = resolve(id);
    return inner !== undefined && isTimeWindowed(inner, resolve, seen);
  }
  return node.op === 'within_last' || node.op === 'more_than_ago';
}
