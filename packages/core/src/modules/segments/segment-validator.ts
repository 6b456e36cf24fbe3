import type { z } from 'zod';
import type { ObservedType, SegmentCatalog } from './segment-catalog.service.js';
import { VALUELESS_OPERATORS, type Comparison, type SegmentCondition } from './segment-definition.js';
import { checkAgainstType, checkValueShape } from './segment-leaves/comparison-check.js';
import { checkLeaf, LEAF_KINDS, leafTimeWindowed, nodeKind, someLeaf } from './segment-leaves/segment-leaves.js';
import type { LeafCheckContext } from './segment-leaves/segment-leaf.js';
import type { SegmentFieldError } from './segment.exception.js';

export { checkValueShape } from './segment-leaves/comparison-check.js';

const MAX_DEPTH = 32;
const MAX_NODES = 500;

/** `all[1].any[0].op` from a path of keys and indexes. */
export function fieldPath(path: (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
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
      return void errors.push({ field: fieldPath(path) || '(root)', message: `must have one of all, any, not, ${LEAF_KINDS.join(', ')}` });
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
    const ctx: LeafCheckContext = {
      catalog,
      segmentExists,
      error: (at, message) => void errors.push({ field: fieldPath([...path, ...at]), message }),
      comparison: (c, at, type, name) => comparison(c, [...path, ...at], type, name),
    };
    issues(checkLeaf(kind, node, ctx), path);
  };
  walk(definition, [], 0);
  return errors;
}

/** Whether a definition depends on the clock (relative windows), so that it must be recomputed on a schedule. */
export function isTimeWindowed(condition: SegmentCondition, resolve: (segmentId: string) => SegmentCondition | undefined): boolean {
  return someLeaf(condition, resolve, leafTimeWindowed);
}
