import type { z } from 'zod';
import type { SegmentCatalog } from './segment-catalog.service.js';
import { nodeKind } from './segment-leaves/segment-leaves.js';
import { fieldPath, validateSegmentDefinition } from './segment-validator.js';

/** A problem of a field of a definition made of weighted conditions (a persona's rules, an ICP's criteria). */
export interface WeightedConditionError {
  field: string;
  message: string;
}

/**
 * The field errors of a definition holding a list of weighted conditions under `listKey` (`rules`,
 * `criteria`): its envelope's (the schema's issues, but those inside a condition), then each
 * condition's against the condition language and the workspace's catalog, named by its path
 * (`rules.0.condition.all[1].op`). `refused` names, per leaf kind, why that leaf cannot be used there
 * (a derived value read in the same phase); a refused leaf is reported once, not also by the validator.
 */
export async function weightedConditionErrors(
  parsed: z.ZodSafeParseResult<unknown>,
  input: unknown,
  listKey: string,
  catalog: () => Promise<SegmentCatalog>,
  refused: (kind: string) => string | undefined,
): Promise<WeightedConditionError[]> {
  const errors: WeightedConditionError[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // A condition is the segment validator's to explain, field by field.
      if (issue.path.length >= 3 && issue.path[0] === listKey && issue.path[2] === 'condition') continue;
      errors.push({ field: issue.path.map(String).join('.') || '(body)', message: issue.message });
    }
  }
  const list = (input as Record<string, unknown> | null)?.[listKey];
  if (!Array.isArray(list)) return errors;
  const known = await catalog();
  list.forEach((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return;
    const condition = (item as { condition?: unknown }).condition;
    const base = `${listKey}.${i}.condition`;
    const refusedHere = refusedLeaves(condition, refused);
    const taken = new Set(refusedHere.map((e) => e.field));
    // Refused leaves are reported above, so the validator need not look them up.
    const checked = validateSegmentDefinition(condition, known, () => true).filter((e) => !taken.has(e.field));
    const under = (field: string) => (field === '' || field === '(root)' ? base : `${base}.${field}`);
    errors.push(...[...refusedHere, ...checked].map((e) => ({ field: under(e.field), message: e.message })));
  });
  return errors;
}

/** The leaves of a condition that may not be used there, with the path of each. */
function refusedLeaves(node: unknown, refused: (kind: string) => string | undefined, path: (string | number)[] = []): WeightedConditionError[] {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [];
  const kind = nodeKind(node);
  const n = node as Record<string, unknown>;
  if (kind === 'all' || kind === 'any') return Array.isArray(n[kind]) ? (n[kind] as unknown[]).flatMap((c, i) => refusedLeaves(c, refused, [...path, kind, i])) : [];
  if (kind === 'not') return refusedLeaves(n.not, refused, [...path, 'not']);
  if (kind === undefined) return [];
  const why = refused(kind);
  return why ? [{ field: fieldPath([...path, kind]), message: why }] : [];
}
