import { z } from 'zod';
import type { SegmentCondition } from '../segment-definition.js';
import { accountTraitLeaf } from './account-trait.leaf.js';
import { computedLeaf } from './computed.leaf.js';
import { consentLeaf } from './consent.leaf.js';
import { eventLeaf } from './event.leaf.js';
import { icpLeaf } from './icp.leaf.js';
import { identityLeaf } from './identity.leaf.js';
import { personaLeaf } from './persona.leaf.js';
import type { CompileContext } from './comparison-sql.js';
import type { LeafCheckContext, LeafCompileContext, SegmentLeafKind } from './segment-leaf.js';
import { segmentLeaf } from './segment.leaf.js';
import { traitLeaf } from './trait.leaf.js';
import { typologyLeaf } from './typology.leaf.js';

/**
 * Every leaf kind of the condition language, by the key that names it in a condition (`{ trait: … }`).
 * A new kind is a `<kind>.leaf.ts` file and a line here. The order is the order in which a node's keys
 * are tried.
 */
const entries = {
  trait: traitLeaf,
  accountTrait: accountTraitLeaf,
  computed: computedLeaf,
  identity: identityLeaf,
  event: eventLeaf,
  consent: consentLeaf,
  segment: segmentLeaf,
  persona: personaLeaf,
  typology: typologyLeaf,
  icp: icpLeaf,
};

type LeafTypes = { [K in keyof typeof entries]: (typeof entries)[K] extends SegmentLeafKind<infer Leaf> ? Leaf : never };
export type LeafKind = keyof LeafTypes;
export type SegmentLeaf = LeafTypes[LeafKind];

export const SEGMENT_LEAVES: { readonly [K in LeafKind]: SegmentLeafKind<LeafTypes[K]> } = entries;
export const LEAF_KINDS = Object.keys(SEGMENT_LEAVES) as LeafKind[];

/** A leaf with its kind: what the registry's entries are looked up by. */
export type KindedLeaf = { [K in LeafKind]: { kind: K; leaf: LeafTypes[K] } }[LeafKind];

/** The whole tree, for clients (admin UI forms, API request bodies, OpenAPI). */
export const segmentConditionSchema: z.ZodType<SegmentCondition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(segmentConditionSchema).min(1) }),
    z.strictObject({ any: z.array(segmentConditionSchema).min(1) }),
    z.strictObject({ not: segmentConditionSchema }),
    ...LEAF_KINDS.map((kind) => SEGMENT_LEAVES[kind].schema),
  ]),
);

/** Which leaf kind (or group) a node is, by its naming key; undefined when none is present. */
export function nodeKind(node: object): LeafKind | 'all' | 'any' | 'not' | undefined {
  for (const key of ['all', 'any', 'not'] as const) if (key in node) return key;
  return LEAF_KINDS.find((key) => key in node);
}

/**
 * A node of a checked definition that is a leaf, with its kind; undefined for a group. The node is
 * taken for the leaf its key names: definitions are checked against the leaf's schema before they are
 * stored or compiled.
 */
export function leafOf(node: SegmentCondition): KindedLeaf | undefined {
  const kind = nodeKind(node);
  return kind === undefined || kind === 'all' || kind === 'any' || kind === 'not' ? undefined : ({ kind, leaf: node } as KindedLeaf);
}

/** The entry of a leaf's kind, applied to the leaf. */
export function compileLeaf<K extends LeafKind>({ kind, leaf }: { kind: K; leaf: LeafTypes[K] }, ctx: LeafCompileContext): string {
  return SEGMENT_LEAVES[kind].compile(leaf, ctx);
}

/**
 * Over a whole workspace, the children of an `all` that their kind compiles together (`compileSiblings`):
 * their SQL, to come first in the group, and the children it covers.
 */
export function compileSiblings(children: SegmentCondition[], ctx: CompileContext): { grouped: string[]; covered: Set<SegmentCondition> } {
  const grouped: string[] = [];
  const covered = new Set<SegmentCondition>();
  for (const kind of LEAF_KINDS) {
    const result = compileSiblingsOf(kind, children, ctx);
    grouped.push(...(result?.grouped ?? []));
    for (const leaf of result?.covered ?? []) covered.add(leaf);
  }
  return { grouped, covered };
}

function compileSiblingsOf<K extends LeafKind>(kind: K, children: SegmentCondition[], ctx: CompileContext) {
  const entry = SEGMENT_LEAVES[kind];
  if (!entry.compileSiblings) return undefined;
  const leaves = children.filter((c): c is LeafTypes[K] => nodeKind(c) === kind);
  return leaves.length ? entry.compileSiblings(leaves, ctx) : undefined;
}

/** Checks a node of an unchecked definition against its kind's schema, then its kind's checks; answers the schema's issues. */
export function checkLeaf<K extends LeafKind>(kind: K, node: unknown, ctx: LeafCheckContext): z.core.$ZodIssue[] {
  const entry = SEGMENT_LEAVES[kind];
  const parsed = entry.schema.safeParse(node);
  if (!parsed.success) return parsed.error.issues;
  entry.check?.(parsed.data, ctx);
  return [];
}

/** Whether the leaf's result moves with the clock. */
export function leafTimeWindowed<K extends LeafKind>({ kind, leaf }: { kind: K; leaf: LeafTypes[K] }): boolean {
  return SEGMENT_LEAVES[kind].timeWindowed?.(leaf) ?? false;
}

function referencesOf<K extends LeafKind>({ kind, leaf }: { kind: K; leaf: LeafTypes[K] }): string[] {
  return SEGMENT_LEAVES[kind].references?.(leaf) ?? [];
}

/**
 * Whether some leaf of a checked definition satisfies `test`, the definitions of the segments it refers
 * to included (each read once).
 */
export function someLeaf(
  condition: SegmentCondition,
  resolve: (segmentId: string) => SegmentCondition | undefined,
  test: (leaf: KindedLeaf) => boolean,
  seen = new Set<string>(),
): boolean {
  if ('all' in condition) return condition.all.some((c) => someLeaf(c, resolve, test, seen));
  if ('any' in condition) return condition.any.some((c) => someLeaf(c, resolve, test, seen));
  if ('not' in condition) return someLeaf(condition.not, resolve, test, seen);
  const found = leafOf(condition);
  if (!found) return false;
  if (test(found)) return true;
  return referencesOf(found).some((id) => {
    if (seen.has(id)) return false;
    seen.add(id);
    const inner = resolve(id);
    return inner !== undefined && someLeaf(inner, resolve, test, seen);
  });
}

/** Whether a definition (with the segments it inlines) reads the traits of linked accounts. */
export function readsAccountTraits(condition: SegmentCondition, resolve: (segmentId: string) => SegmentCondition | undefined): boolean {
  return someLeaf(condition, resolve, ({ kind }) => SEGMENT_LEAVES[kind].readsAccounts === true);
}
