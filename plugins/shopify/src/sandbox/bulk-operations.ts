import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { execute, getNamedType, isObjectType, Kind, parse, validate, type DocumentNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import type { ExecutionContext } from './admin-schema.js';
import { gid, type SandboxCustomer, type SandboxOrder } from './shop-data.js';

/**
 * Bulk operations as Shopify runs them: up to five queries at a time per app and shop from API version
 * 2026-01 on (one before), each over a snapshot of the data taken when it starts; the result is a JSONL file where each node of a connection is its own line
 * and a nested connection's nodes follow their parent with `__parentId`. Lists that are not
 * connections (an order's `refunds`) stay inline.
 */

export interface BulkOperationRecord {
  id: string;
  status: 'CREATED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELED';
  createdAt: string;
  completedAt: string | null;
  query: string;
  objectCount: number;
  rootObjectCount: number;
  fileSize: number | null;
  /** Where the JSONL is served (a signed storage URL, as Shopify's). */
  url: string | null;
  token: string;
  file?: string;
}

const CHUNK = 500;
export const BULK_STORAGE_HOST = 'storage.googleapis.com';
export const BULK_STORAGE_PREFIX = '/shopify-tiers-assets-prod-us-east1/bulk-operation-outputs/';

/** How many bulk query operations an app may run at once on a shop, by the API version it calls. */
export function bulkQueryLimit(apiVersion: string): number {
  return apiVersion === 'unstable' || apiVersion >= '2026-01' ? 5 : 1;
}

export class BulkOperations {
  private readonly operations = new Map<string, BulkOperationRecord>();
  private current: BulkOperationRecord | undefined;
  private nextId = 3_100_000_001;
  private dir: string | undefined;

  constructor(
    private readonly schema: GraphQLSchema,
    /** How long an operation stays RUNNING at least (a real one takes seconds to hours). */
    private readonly minRunMs: number,
  ) {}

  get(id?: string): BulkOperationRecord | undefined {
    return id ? this.operations.get(id) : this.current;
  }

  /** Every operation started so far, oldest first. */
  list(): BulkOperationRecord[] {
    return [...this.operations.values()];
  }

  byToken(token: string): BulkOperationRecord | undefined {
    return [...this.operations.values()].find((op) => op.token === token);
  }

  /** Operations still CREATED or RUNNING. */
  running(): BulkOperationRecord[] {
    return this.list().filter((op) => op.status === 'RUNNING' || op.status === 'CREATED');
  }

  /** Starts an operation when fewer than `limit` run (see `bulkQueryLimit`), or answers Shopify's userErrors. */
  start(query: string, ctx: ExecutionContext, limit = 1): { bulkOperation: ReturnType<BulkOperations['view']> | null; userErrors: { field: string[] | null; message: string; code: string | null }[] } {
    const running = this.running();
    if (running.length >= limit) {
      return {
        bulkOperation: null,
        userErrors: [{ field: null, message: `A bulk query operation for this app and shop is already in progress: ${running.at(-1)!.id}.`, code: 'OPERATION_IN_PROGRESS' }],
      };
    }
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return { bulkOperation: null, userErrors: [{ field: ['query'], message: `Invalid bulk query: ${(error as Error).message}`, code: 'INVALID' }] };
    }
    const problems = validate(this.schema, document).map((e) => e.message);
    const shape = bulkShapeProblem(this.schema, document);
    if (shape) problems.push(shape);
    if (problems.length) return { bulkOperation: null, userErrors: [{ field: ['query'], message: `Invalid bulk query: ${problems.join('; ')}`, code: 'INVALID' }] };

    const op: BulkOperationRecord = {
      id: gid('BulkOperation', this.nextId++),
      status: 'RUNNING',
      createdAt: ctx.data.clock.now(),
      completedAt: null,
      query,
      objectCount: 0,
      rootObjectCount: 0,
      fileSize: null,
      url: null,
      token: randomBytes(12).toString('hex'),
    };
    this.operations.set(op.id, op);
    this.current = op;
    // The snapshot: the arrays as they are now (records are replaced on change, never edited).
    const snapshot = { customers: ctx.data.customers, orders: ctx.data.orders };
    const started = Date.now();
    void this.run(op, document, { ...ctx, bulk: true, snapshot }).then(
      async () => {
        const wait = this.minRunMs - (Date.now() - started);
        // Unref'd: a sandbox closed while an operation "runs" does not keep the process alive.
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        op.status = 'COMPLETED';
        op.completedAt = ctx.data.clock.now();
        op.url = `https://${BULK_STORAGE_HOST}${BULK_STORAGE_PREFIX}${op.token}-final?GoogleAccessId=sandbox&Expires=${Math.floor(Date.now() / 1000) + 7 * 86_400}&Signature=${op.token}`;
      },
      () => {
        op.status = 'FAILED';
      },
    );
    return { bulkOperation: this.view(op), userErrors: [] };
  }

  view(op: BulkOperationRecord) {
    return {
      __typename: 'BulkOperation',
      id: op.id,
      status: op.status,
      errorCode: op.status === 'FAILED' ? 'INTERNAL_SERVER_ERROR' : null,
      createdAt: op.createdAt,
      completedAt: op.completedAt,
      objectCount: String(op.objectCount),
      rootObjectCount: String(op.rootObjectCount),
      fileSize: op.fileSize === null ? null : String(op.fileSize),
      url: op.url,
      partialDataUrl: null,
      query: op.query,
      type: 'QUERY',
    };
  }

  /** Runs the query over the snapshot in chunks of root objects, writing the JSONL file. */
  private async run(op: BulkOperationRecord, document: DocumentNode, ctx: ExecutionContext & { snapshot: { customers: SandboxCustomer[]; orders: SandboxOrder[] } }): Promise<void> {
    this.dir ??= await mkdtemp(join(tmpdir(), 'shopify-sandbox-bulk-'));
    const file = join(this.dir, `${op.token}.jsonl`);
    const out = createWriteStream(file);
    const rootField = rootConnectionField(document);
    const all = rootField === 'customers' ? ctx.snapshot.customers : ctx.snapshot.orders;
    for (let i = 0; i < all.length; i += CHUNK) {
      const slice = all.slice(i, i + CHUNK);
      const chunkCtx: ExecutionContext = {
        ...ctx,
        snapshot: rootField === 'customers' ? { customers: slice as SandboxCustomer[], orders: [] } : { customers: [], orders: slice as SandboxOrder[] },
      };
      const result = await execute({ schema: this.schema, document, contextValue: chunkCtx });
      if (result.errors?.length) throw new Error(result.errors[0]!.message);
      const connection = (result.data as Record<string, unknown>)[rootField] as { edges?: { node: Record<string, unknown> }[]; nodes?: Record<string, unknown>[] };
      const nodes = connection.nodes ?? connection.edges?.map((e) => e.node) ?? [];
      let text = '';
      for (const node of nodes) {
        op.rootObjectCount++;
        for (const line of flatten(node, undefined)) {
          op.objectCount++;
          text += `${JSON.stringify(line)}\n`;
        }
      }
      if (!out.write(text)) await once(out, 'drain');
      // Let requests (polls) through while a large file is written.
      await new Promise((resolve) => setImmediate(resolve));
    }
    out.end();
    await once(out, 'finish');
    op.file = file;
    op.fileSize = (await stat(file)).size;
  }

  async close(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** The JSONL lines of one node: itself (connections removed), then its connections' nodes with `__parentId`. */
function flatten(node: Record<string, unknown>, parentId: string | undefined): Record<string, unknown>[] {
  const own: Record<string, unknown> = {};
  const children: Record<string, unknown>[] = [];
  const ownerId = typeof node.id === 'string' ? node.id : parentId;
  for (const [key, value] of Object.entries(node)) {
    if (isConnectionValue(value)) {
      const nodes = value.nodes ?? value.edges?.map((e) => e.node) ?? [];
      for (const child of nodes) children.push(...flatten(child, ownerId));
    } else if (Array.isArray(value) && value.some((v) => v && typeof v === 'object')) {
      own[key] = value.map((item) => {
        if (!item || typeof item !== 'object') return item;
        const inner: Record<string, unknown> = {};
        const itemId = typeof (item as { id?: unknown }).id === 'string' ? ((item as { id: string }).id) : ownerId;
        for (const [k, v] of Object.entries(item)) {
          if (isConnectionValue(v)) for (const child of v.nodes ?? v.edges?.map((e) => e.node) ?? []) children.push(...flatten(child, itemId));
          else inner[k] = v;
        }
        return inner;
      });
    } else {
      own[key] = value;
    }
  }
  if (parentId !== undefined) own.__parentId = parentId;
  return [own, ...children];
}

function isConnectionValue(value: unknown): value is { nodes?: Record<string, unknown>[]; edges?: { node: Record<string, unknown> }[] } {
  return Boolean(value && typeof value === 'object' && !Array.isArray(value) && ('edges' in value || 'nodes' in value));
}

function rootConnectionField(document: DocumentNode): 'customers' | 'orders' {
  const op = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const field = op?.kind === Kind.OPERATION_DEFINITION ? op.selectionSet.selections.find((s) => s.kind === Kind.FIELD) : undefined;
  return field?.kind === Kind.FIELD && field.name.value === 'customers' ? 'customers' : 'orders';
}

/** Shopify's bulk query rules: one top-level connection, at most 5 connections, nested at most 2 levels deep. */
function bulkShapeProblem(schema: GraphQLSchema, document: DocumentNode): string | undefined {
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1 || ops[0]!.kind !== Kind.OPERATION_DEFINITION || ops[0]!.operation !== 'query') return 'a bulk query must be a single query operation';
  const roots = ops[0]!.selectionSet.selections.filter((s) => s.kind === Kind.FIELD);
  if (roots.length !== 1 || roots[0]!.kind !== Kind.FIELD || !['customers', 'orders'].includes(roots[0]!.name.value)) {
    return 'Bulk queries must contain at least one connection, at the top level (this sandbox serves customers and orders).';
  }
  let connections = 0;
  let deepest = 0;
  const walk = (typeName: string, set: SelectionSetNode | undefined, depth: number) => {
    const type = schema.getType(typeName);
    if (!set || !type || !isObjectType(type)) return;
    for (const s of set.selections) {
      if (s.kind !== Kind.FIELD) continue;
      const field = type.getFields()[s.name.value];
      if (!field) continue;
      const named = getNamedType(field.type).name;
      const isConnection = named.endsWith('Connection');
      if (isConnection) {
        connections++;
        deepest = Math.max(deepest, depth + 1);
      }
      walk(named, s.selectionSet, depth + (isConnection ? 1 : 0));
    }
  };
  walk(schema.getQueryType()!.name, ops[0]!.selectionSet, 0);
  if (connections > 5) return `Bulk queries cannot contain more than 5 connections (found ${connections}).`;
  if (deepest > 3) return 'Bulk queries cannot contain connections with a nesting depth greater than 2.';
  return undefined;
}
