import type { QueryRunner } from 'typeorm';
import { z } from 'zod';
import { COMPARISON_OPERATORS, comparisonFields, leafName, type Comparison } from '../segment-definition.js';
import { correlatedExists, polarity, positiveComparison } from './comparison-sql.js';
import { isRelative, type SegmentLeafKind } from './segment-leaf.js';

/** A trait of an account the person is linked to: `{ accountTrait: 'industry', op: 'eq', value: 'software' }`. */
export interface AccountTraitCondition extends Comparison {
  accountTrait: string;
}

export const accountTraitConditionSchema = z.strictObject({ accountTrait: leafName, ...comparisonFields });

export const accountTraitLeaf: SegmentLeafKind<AccountTraitCondition> = {
  schema: accountTraitConditionSchema,
  // Narrowed by the trait's observed type (accounts' traits share the catalog of traits) when checked.
  operators: COMPARISON_OPERATORS,
  check: (leaf, ctx) => ctx.comparison(leaf, [], ctx.catalog.traits.get(leaf.accountTrait), `trait ${leaf.accountTrait}`),
  compile: (leaf, ctx) => {
    // Negated outside the EXISTS: `neq` holds for a person linked to no account with the value.
    const { positive, negated } = polarity(leaf);
    const sql = correlatedExists(
      `FROM account_links l JOIN profiles a ON a.id = l.account_id
                 WHERE l.person_id = p.id AND a.merged_into IS NULL AND ${positiveComparison(positive, { column: 'a.traits', key: leaf.accountTrait }, ctx)}`,
      ctx,
    );
    return negated ? `(NOT ${sql})` : sql;
  },
  timeWindowed: isRelative,
  readsAccounts: true,
};

/**
 * The profiles a change concerns when a definition reads account traits: the changed ones and, for
 * those that are accounts, the people linked to them in the same workspace (an account's traits are
 * theirs to match on).
 */
export async function withPeopleOfAccounts(runner: QueryRunner, workspaceId: string, ids: string[]): Promise<string[]> {
  const people: { person_id: string }[] = await runner.query(`SELECT DISTINCT person_id FROM account_links WHERE workspace_id = $1 AND account_id = ANY($2::uuid[])`, [workspaceId, ids]);
  return [...new Set([...ids, ...people.map((p) => p.person_id)])];
}
