import { z } from 'zod';
import { comparisonFields, leafName, type Comparison } from '../segment-definition.js';
import { OPERATORS_BY_TYPE } from './comparison-check.js';
import { correlatedExists, polarity, positiveComparison } from './comparison-sql.js';
import { isRelative, type SegmentLeafKind } from './segment-leaf.js';

/** An identifier of the profile, by type: `{ identity: 'email', op: 'ends_with', value: '@acme.com' }`. */
export interface IdentityCondition extends Comparison {
  identity: string;
}

export const identityConditionSchema = z.strictObject({ identity: leafName, ...comparisonFields });

export const identityLeaf: SegmentLeafKind<IdentityCondition> = {
  schema: identityConditionSchema,
  // Identifiers are strings.
  operators: OPERATORS_BY_TYPE.string,
  check: (leaf, ctx) => {
    if (!identityLeaf.operators.includes(leaf.op)) return ctx.error(['op'], `${leaf.op} does not apply to identifiers, which are strings`);
    ctx.comparison(leaf, [], 'string', `identifier ${leaf.identity}`);
  },
  compile: (leaf, ctx) => {
    const { p, ws } = ctx;
    const { positive, negated } = polarity(leaf);
    const type = p.add(leaf.identity);
    // An exact value is looked up through the unique (workspace_id, type, value) index, uncorrelated.
    const sql =
      positive.op === 'eq' || positive.op === 'in'
        ? `p.id IN (SELECT i.profile_id FROM identities i WHERE i.workspace_id = ${ws}::uuid AND i.type = ${type}::text AND ${positiveComparison(positive, { text: 'i.value' }, ctx)})`
        : correlatedExists(`FROM identities i WHERE i.profile_id = p.id AND i.type = ${type}::text${positive.op === 'exists' ? '' : ` AND ${positiveComparison(positive, { text: 'i.value' }, ctx)}`}`, ctx);
    return negated ? `(NOT ${sql})` : sql;
  },
  timeWindowed: isRelative,
};
