import type { ObservedTypes } from './segment-catalog.service.js';
import type { SegmentCondition } from './segment-definition.js';
import { Params, type CompileContext } from './segment-leaves/comparison-sql.js';
import { compileLeaf, compileSiblings, leafOf } from './segment-leaves/segment-leaves.js';
import { SegmentException } from './segment.exception.js';

/** One parameterized statement: the SQL text never contains a name or a value from the definition. */
export interface CompiledSegment {
  sql: string;
  params: unknown[];
}

/** Resolves segment ids to their definitions while compiling (same workspace only). */
export type SegmentResolver = (segmentId: string) => SegmentCondition | undefined;

export interface CompileOptions {
  /** Restrict to these profiles (an incremental run): the per-profile form of every leaf. */
  profileIds?: string[];
  /** The first `limit` matches in creation order (previews). */
  limit?: number;
  /** The id of the segment being compiled, so that a reference back to it is refused as a cycle. */
  selfId?: string;
  /** The workspace's observed trait types, which let some leaves take an index-friendly form. */
  types?: ObservedTypes;
}

/**
 * Compiles a condition tree into one parameterized statement selecting the ids of a workspace's live
 * profiles that match (restricted to `profileIds` for an incremental run). Correlated leaves (events,
 * identities, consent, accounts) are subqueries by profile id, served by the per-profile indexes; over
 * a whole workspace, event leaves also name the workspace so that the (workspace_id, type, occurred_at)
 * index can cut the window. Membership of another segment is inlined (so it is always current); a
 * cycle is refused.
 */
export function compileSegment(workspaceId: string, definition: SegmentCondition, resolve: SegmentResolver, options: CompileOptions = {}): CompiledSegment {
  const p = new Params();
  const ws = p.add(workspaceId);
  const ctx: CompileContext = { p, resolve, ws, setBased: options.profileIds === undefined, types: options.types };
  const condition = compileCondition(definition, ctx, options.selfId ? [options.selfId] : []);
  let sql = `SELECT p.id FROM profiles p WHERE p.workspace_id = ${ws}::uuid AND p.merged_into IS NULL AND ${condition}`;
  // A semi-join from the changed ids (not a `= ANY` filter, which is rescanned for every candidate row):
  // the plan starts from the batch and looks each profile up by primary key.
  if (options.profileIds) sql += ` AND p.id IN (SELECT unnest(${p.add(options.profileIds)}::uuid[]))`;
  if (options.limit !== undefined) sql += ` ORDER BY p.created_seq LIMIT ${p.add(options.limit)}`;
  return { sql, params: p.values };
}

/**
 * Several segments evaluated over the same profiles in one statement: `SELECT p.id, (c0) AS m0, (c1) AS
 * m1, …` over the live profiles among `profileIds`, each profile read once whatever the number of
 * segments. This is what an incremental run executes after an ingest batch.
 */
export function compileSegmentsForProfiles(
  workspaceId: string,
  segments: { id: string; definition: SegmentCondition }[],
  resolve: SegmentResolver,
  profileIds: string[],
): CompiledSegment {
  const p = new Params();
  const ws = p.add(workspaceId);
  const ctx: CompileContext = { p, resolve, ws, setBased: false };
  const columns = segments.map((s, i) => `${compileCondition(s.definition, ctx, [s.id])} AS m${i}`);
  const ids = p.add(profileIds);
  return {
    sql: `SELECT p.id${columns.map((c) => `, ${c}`).join('')} FROM profiles p
          WHERE p.workspace_id = ${ws}::uuid AND p.merged_into IS NULL AND p.id IN (SELECT unnest(${ids}::uuid[]))`,
    params: p.values,
  };
}

/** A group or a leaf, each leaf compiled by its kind's entry. */
function compileCondition(node: SegmentCondition, ctx: CompileContext, stack: string[]): string {
  if ('all' in node) {
    const { grouped, covered } = ctx.setBased ? compileSiblings(node.all, ctx) : { grouped: [], covered: new Set() };
    return `(${[...grouped, ...node.all.filter((c) => !covered.has(c)).map((c) => compileCondition(c, ctx, stack))].join(' AND ')})`;
  }
  if ('any' in node) return `(${node.any.map((c) => compileCondition(c, ctx, stack)).join(' OR ')})`;
  if ('not' in node) return `(NOT ${compileCondition(node.not, ctx, stack)})`;
  const leaf = leafOf(node);
  if (!leaf) throw new SegmentException('INVALID_SEGMENT', 'a condition has no known kind', [{ field: '(root)', message: 'unknown condition' }]);
  return compileLeaf(leaf, { ...ctx, stack, condition: (inner, innerStack) => compileCondition(inner, ctx, innerStack) });
}
