import type { z } from 'zod';
import type { ObservedType, SegmentCatalog } from '../segment-catalog.service.js';
import type { Comparison, ComparisonOperator, SegmentCondition } from '../segment-definition.js';
import type { CompileContext } from './comparison-sql.js';

/** A path below a leaf: `['where', 0, 'op']`. */
export type LeafPath = (string | number)[];

/** What checking a leaf against the workspace's data needs; paths are relative to the leaf. */
export interface LeafCheckContext {
  catalog: SegmentCatalog;
  segmentExists(id: string): boolean;
  error(at: LeafPath, message: string): void;
  /** Checks an operator and its value, against a name holding values of `type` (any type when undefined). */
  comparison(c: Comparison, at: LeafPath, type: ObservedType | undefined, name: string): void;
}

/** What compiling a leaf needs: the statement's parameters and form, and the whole compiler for inlined segments. */
export interface LeafCompileContext extends CompileContext {
  /** The segments being inlined, outermost first (a reference to one of them is a cycle). */
  stack: string[];
  condition(node: SegmentCondition, stack: string[]): string;
}

/**
 * One kind of leaf of the condition language, all of it in one place: the schema a client checks it
 * with, the operators it accepts, its checks against the workspace's data, its SQL, and what the
 * services ask of a definition (does it depend on the clock, on linked accounts, on other segments; may
 * a persona rule hold it). Segments and persona rules share every entry.
 */
export interface SegmentLeafKind<Leaf> {
  schema: z.ZodType<Leaf>;
  /** The comparison operators the leaf accepts (empty when it compares no value). */
  operators: readonly ComparisonOperator[];
  /** Checks a leaf that passed its schema, reporting each problem through `ctx` (nothing more to check when absent). */
  check?(leaf: Leaf, ctx: LeafCheckContext): void;
  /** A boolean SQL expression, never NULL, about the profile `p`; every name and value a parameter. */
  compile(leaf: Leaf, ctx: LeafCompileContext): string;
  /**
   * Over a whole workspace: sibling leaves of an `all` compiled together (one pass for several), first
   * in the group; answers their SQL and the leaves it covers. The others compile one by one.
   */
  compileSiblings?(leaves: Leaf[], ctx: CompileContext): { grouped: string[]; covered: Set<Leaf> };
  /** Whether the leaf's result moves with the clock (relative windows), so that it must be recomputed on a schedule; never when absent. */
  timeWindowed?(leaf: Leaf): boolean;
  /** The segments the leaf refers to (whose definitions are inlined in its place). */
  references?(leaf: Leaf): string[];
  /** Whether the leaf reads the traits of linked accounts (a change of an account then concerns its people). */
  readsAccounts?: boolean;
  /** Why a persona rule may not hold the leaf; absent when it may. */
  refusedInPersonaRules?: string;
}

/** Operators whose value is a duration back from now. */
export const isRelative = (c: Comparison) => c.op === 'within_last' || c.op === 'more_than_ago';
