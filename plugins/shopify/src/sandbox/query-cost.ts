import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Query cost in Shopify's manner (shopify.dev "API rate limits"): scalars and enums 0, an object 1,
 * a connection 2 plus `first` (or `last`) times the cost of one node, a list field with `first` that
 * many times its item, a mutation 10. The requested cost is computed before running the query; the
 * actual cost counts what the answer holds, and the difference goes back into the bucket.
 */

export const MUTATION_COST = 10;
export const MAX_QUERY_COST = 1000;

export function requestedQueryCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): number {
  if (operation.operation === 'mutation') return MUTATION_COST;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const root = schema.getQueryType()!;
  return selectionCost(root, operation.selectionSet);

  function selectionCost(parent: GraphQLNamedType, selectionSet: SelectionSetNode | undefined): number {
    if (!selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) return 0;
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) ?? parent : parent;
        total += selectionCost(type, selection.selectionSet);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) total += selectionCost(schema.getType(fragment.typeCondition.name.value) ?? parent, fragment.selectionSet);
        continue;
      }
      const field = parent.getFields()[selection.name.value] as GraphQLField<unknown, unknown> | undefined;
      if (!field) continue;
      const named = getNamedType(field.type);
      const size = sizeArg(field, selection.arguments ?? [], variables);
      if (named.name.endsWith('Connection') && isObjectType(named)) {
        // edges { node } and nodes cost the same: one node per requested item.
        let nodeCost = 0;
        for (const inner of selection.selectionSet?.selections ?? []) {
          if (inner.kind !== Kind.FIELD) continue;
          if (inner.name.value === 'nodes') nodeCost = Math.max(nodeCost, 1 + selectionCost(getNamedType(named.getFields().nodes!.type), inner.selectionSet));
          if (inner.name.value === 'edges') {
            const edge = getNamedType(named.getFields().edges!.type);
            for (const e of inner.selectionSet?.selections ?? []) {
              if (e.kind === Kind.FIELD && e.name.value === 'node' && isObjectType(edge)) {
                nodeCost = Math.max(nodeCost, 1 + selectionCost(getNamedType(edge.getFields().node!.type), e.selectionSet));
              }
            }
          }
        }
        total += 2 + (size ?? 1) * Math.max(nodeCost, 1);
      } else if (isListType(getNullableType(field.type)) && (isObjectType(named) || isInterfaceType(named))) {
        total += (size ?? 1) * (1 + selectionCost(named, selection.selectionSet));
      } else if (isObjectType(named) || isInterfaceType(named)) {
        total += 1 + selectionCost(named, selection.selectionSet);
      }
    }
    return total;
  }
}

function sizeArg(field: GraphQLField<unknown, unknown>, args: readonly { name: { value: string }; value: import('graphql').ValueNode }[], variables: Record<string, unknown>): number | undefined {
  for (const name of ['first', 'last']) {
    const node = args.find((a) => a.name.value === name);
    const def = field.args.find((a) => a.name === name);
    if (node && def) {
      const value = valueFromAST(node.value, def.type, variables);
      if (typeof value === 'number') return value;
    }
  }
  return undefined;
}

/** The actual cost of an answer: 1 per object it holds, 2 more per connection. */
export function actualQueryCost(data: unknown): number {
  if (Array.isArray(data)) return data.reduce((sum: number, item) => sum + actualQueryCost(item), 0);
  if (!data || typeof data !== 'object') return 0;
  const record = data as Record<string, unknown>;
  let total = 'pageInfo' in record ? 2 : 'edges' in record || 'nodes' in record ? 2 : 1;
  if ('edges' in record && 'nodes' in record) {
    // Both lists carry the same nodes: count them once.
    return total + actualQueryCost(record.nodes) + actualQueryCost((record.edges as { node: unknown }[]).map((e) => ({ ...e, node: undefined })));
  }
  for (const [key, value] of Object.entries(record)) if (key !== 'pageInfo') total += actualQueryCost(value);
  return total;
}

/**
 * A shop's leaky bucket: `restoreRate` points a second flow back up to `maximumAvailable`. A query
 * whose requested cost exceeds what is available is answered THROTTLED and costs nothing.
 */
export class LeakyBucket {
  private available: number;
  private at: number;

  constructor(
    readonly restoreRate: number,
    readonly maximumAvailable: number = restoreRate * 20,
    private readonly clock: () => number = Date.now,
    /** Points in the bucket at the start (default: full). */
    initial: number = maximumAvailable,
  ) {
    this.available = Math.min(initial, maximumAvailable);
    this.at = clock();
  }

  currentlyAvailable(): number {
    const now = this.clock();
    this.available = Math.min(this.maximumAvailable, this.available + ((now - this.at) / 1000) * this.restoreRate);
    this.at = now;
    return this.available;
  }

  /** Takes `cost` points, or answers false (THROTTLED) when there are not enough. */
  take(cost: number): boolean {
    if (this.currentlyAvailable() < cost) return false;
    this.available -= cost;
    return true;
  }

  /** Gives back the part of the requested cost the query did not use. */
  refund(points: number): void {
    this.available = Math.min(this.maximumAvailable, this.available + points);
  }

  status(): { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } {
    return { maximumAvailable: this.maximumAvailable, currentlyAvailable: Math.floor(this.currentlyAvailable()), restoreRate: this.restoreRate };
  }
}
