import type { ObservedType } from '../segment-catalog.service.js';
import { ISO_DURATION, isIsoInstant, VALUELESS_OPERATORS, type Comparison, type ComparisonOperator } from '../segment-definition.js';
import type { SegmentFieldError } from '../segment.exception.js';

/** The checks that leaves comparing a value share: the value's shape for its operator, and its fit with the observed type. */

/** Operators each observed type accepts. Untyped (never observed) names accept any operator whose value fits. */
export const OPERATORS_BY_TYPE: Record<Exclude<ObservedType, 'mixed'>, readonly ComparisonOperator[]> = {
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'exists', 'missing'],
  string: ['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'ends_with', 'exists', 'missing'],
  date: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'before', 'after', 'within_last', 'more_than_ago', 'exists', 'missing'],
  boolean: ['eq', 'neq', 'exists', 'missing'],
  array: ['contains', 'not_contains', 'exists', 'missing'],
  object: ['exists', 'missing'],
};

const isDate = isIsoInstant;
const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

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
export function checkAgainstType(c: Comparison, type: ObservedType | undefined, name: string): SegmentFieldError | undefined {
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

