import { abortableSleep, abortReason, ConnectorRequestError, ConnectorTransientError, InvalidRecordError, type ConnectorContext, type ProfileFact, type ReadMessage, type ReadRequest, type StreamState } from '@portrait/connector-sdk';
import type { AdminClient } from '../transport/admin-client.js';

/**
 * How both streams read Shopify. A first (or full) sync runs a bulk operation and streams its JSONL;
 * when the app already runs as many as Shopify allows on the shop (five at a time from API version
 * 2026-01), it pages through the GraphQL connection instead. Later syncs page through what changed: `sortKey: UPDATED_AT` with
 * `query: "updated_at:>='<cursor>'"`. A checkpoint follows each page (or each `pageSize` records of a
 * bulk file), so a stopped run resumes where it was: the same bulk operation, the same page.
 */

export interface ResourceStream {
  /** The GraphQL connection: `customers` or `orders`. */
  connection: 'customers' | 'orders';
  /** Records per page of a paged query: the most that stays under the 1,000-point query limit. */
  pageSize: number;
  /** Node selection for paged queries. */
  fields: string;
  /** Node selection for bulk queries. */
  bulkFields: string;
  /** Extra search terms (e.g. `created_at:>='2025-01-01'`). */
  filter?: string;
  /** Attaches a bulk child line to its root record; false when it does not belong there. */
  attach?(root: Record<string, unknown>, child: Record<string, unknown>): boolean;
  map(node: Record<string, unknown>, location: string): ProfileFact;
  /** Completes a node of a paged query whose nested lists were cut at their page size (e.g. an order's line items). */
  complete?(node: Record<string, unknown>, client: AdminClient): Promise<void>;
}

/** The state of a stream between runs (and within one, at each checkpoint). */
export interface ShopifyStreamState extends StreamState {
  /** What a run in progress is doing; absent once a run completed. */
  phase?: 'bulk' | 'paged';
  /** Bulk phase: the operation, and how many root records of its file are done. */
  bulkId?: string;
  rootsDone?: number;
  /** Paged phase: the lower bound of `updated_at` the query filters on (absent: everything), and the page cursor. */
  since?: string | null;
  after?: string | null;
  /** Paged phase: ids already read at exactly `since` (skipped). */
  sinceIds?: string[];
  /** The latest `updatedAt` seen, and the ids seen with exactly that time: the next incremental sync starts there. */
  cursor?: string;
  idsAtCursor?: string[];
}

/** Records of a bulk file per checkpoint. */
export const BULK_BATCH_SIZE = 250;
const POLL_START_MS = 50;
const POLL_MAX_MS = 5_000;

function parseState(state: StreamState | undefined): ShopifyStreamState {
  if (!state || typeof state !== 'object') return {};
  const s = state as ShopifyStreamState;
  return {
    phase: s.phase === 'bulk' || s.phase === 'paged' ? s.phase : undefined,
    bulkId: typeof s.bulkId === 'string' ? s.bulkId : undefined,
    rootsDone: typeof s.rootsDone === 'number' ? s.rootsDone : undefined,
    since: typeof s.since === 'string' ? s.since : null,
    after: typeof s.after === 'string' ? s.after : null,
    sinceIds: Array.isArray(s.sinceIds) ? s.sinceIds.filter((x): x is string => typeof x === 'string') : undefined,
    cursor: typeof s.cursor === 'string' ? s.cursor : undefined,
    idsAtCursor: Array.isArray(s.idsAtCursor) ? s.idsAtCursor.filter((x): x is string => typeof x === 'string') : undefined,
  };
}

/** Tracks the newest `updatedAt` seen and the ids at that time. */
class CursorTracker {
  cursor: string | undefined;
  ids: Set<string>;
  constructor(cursor: string | undefined, ids: string[] | undefined) {
    this.cursor = cursor;
    this.ids = new Set(ids ?? []);
  }
  see(id: string, updatedAt: string | undefined): void {
    if (!updatedAt) return;
    const at = new Date(updatedAt).toISOString();
    if (this.cursor === undefined || at > this.cursor) {
      this.cursor = at;
      this.ids = new Set([id]);
    } else if (at === this.cursor) this.ids.add(id);
  }
  /** Moves the cursor back to `at`: everything updated since is read again next time. */
  rewind(at: string): void {
    this.cursor = new Date(at).toISOString();
    this.ids = new Set();
  }
  state(): Pick<ShopifyStreamState, 'cursor' | 'idsAtCursor'> {
    return this.cursor === undefined ? {} : { cursor: this.cursor, idsAtCursor: [...this.ids].sort() };
  }
}

export async function* readResource(stream: ResourceStream, request: ReadRequest, client: AdminClient, ctx: ConnectorContext): AsyncGenerator<ReadMessage> {
  const state = parseState(request.state);
  if (state.phase === 'bulk' && state.bulkId) {
    yield* readBulk(stream, client, ctx, state.bulkId, state.rootsDone ?? 0, new CursorTracker(state.cursor, state.idsAtCursor));
    return;
  }
  if (state.phase === 'paged') {
    yield* readPaged(stream, client, ctx, state.since ?? null, state.after ?? null, new CursorTracker(state.cursor, state.idsAtCursor), state.since ? { cursor: state.since, ids: new Set(state.sinceIds ?? []) } : undefined);
    return;
  }
  if (request.mode === 'incremental' && state.cursor) {
    // Records at exactly the cursor's time were read last time: skip those ids, keep any other.
    const previous = { cursor: state.cursor, ids: new Set(state.idsAtCursor ?? []) };
    yield* readPaged(stream, client, ctx, state.cursor, null, new CursorTracker(state.cursor, state.idsAtCursor), previous);
    return;
  }
  const bulkId = await startBulk(stream, client, ctx);
  if (bulkId) {
    yield { type: 'checkpoint', state: { phase: 'bulk', bulkId, rootsDone: 0 } };
    yield* readBulk(stream, client, ctx, bulkId, 0, new CursorTracker(undefined, undefined));
  } else {
    yield* readPaged(stream, client, ctx, null, null, new CursorTracker(undefined, undefined), undefined);
  }
}

function searchQuery(stream: ResourceStream, since: string | null): string {
  return [since ? `updated_at:>='${since}'` : '', stream.filter ?? ''].filter(Boolean).join(' AND ');
}

/** Starts a bulk operation; undefined when one is already running for the shop (then the caller pages). */
async function startBulk(stream: ResourceStream, client: AdminClient, ctx: ConnectorContext): Promise<string | undefined> {
  const args = stream.filter ? `(query: ${JSON.stringify(stream.filter)})` : '';
  const bulkQuery = `{ ${stream.connection}${args} { edges { node { ${stream.bulkFields} } } } }`;
  const result = await client.request<{
    bulkOperationRunQuery: { bulkOperation: { id: string; status: string } | null; userErrors: { field: string[] | null; message: string; code?: string | null }[] };
  }>(
    `mutation RunBulk($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message code } } }`,
    { query: bulkQuery },
  );
  const { bulkOperation, userErrors } = result.bulkOperationRunQuery;
  if (bulkOperation) return bulkOperation.id;
  if (userErrors.some((e) => e.code === 'OPERATION_IN_PROGRESS' || /already in progress/i.test(e.message))) {
    ctx.logger.info({ stream: stream.connection }, 'a bulk operation is already running for the shop: reading page by page instead');
    return undefined;
  }
  throw new ConnectorRequestError(`Shopify refused the bulk query for ${stream.connection}: ${userErrors.map((e) => e.message).join('; ')}`, { status: 200 });
}

async function waitForBulk(client: AdminClient, ctx: ConnectorContext, bulkId: string): Promise<{ url: string | null; status: string; createdAt?: string }> {
  let delay = POLL_START_MS;
  for (;;) {
    const { node } = await client.request<{ node: { status: string; errorCode: string | null; url: string | null; createdAt: string } | null }>(
      `query BulkStatus($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode createdAt url objectCount } } }`,
      { id: bulkId },
    );
    if (!node) return { url: null, status: 'MISSING' };
    if (node.status === 'COMPLETED') return { url: node.url, status: node.status, createdAt: node.createdAt };
    if (['FAILED', 'CANCELED', 'CANCELING', 'EXPIRED'].includes(node.status)) return { url: null, status: `${node.status}${node.errorCode ? ` (${node.errorCode})` : ''}` };
    await abortableSleep(delay, ctx.signal);
    delay = Math.min(POLL_MAX_MS, Math.ceil(delay * 1.5));
  }
}

async function* readBulk(stream: ResourceStream, client: AdminClient, ctx: ConnectorContext, bulkId: string, rootsDone: number, tracker: CursorTracker): AsyncGenerator<ReadMessage> {
  const { url, status, createdAt } = await waitForBulk(client, ctx, bulkId);
  if (!url) {
    if (status === 'COMPLETED') {
      // A completed operation without a file found nothing.
      yield { type: 'checkpoint', state: tracker.state() };
      return;
    }
    // The operation failed or its file expired: start over (facts already stored are re-read harmlessly).
    ctx.logger.warn({ stream: stream.connection, status }, 'the bulk operation did not complete: starting a new one');
    if (status === 'FAILED') throw new ConnectorTransientError(`Shopify's bulk operation for ${stream.connection} failed: ${status}`);
    const next = await startBulk(stream, client, ctx);
    if (!next) {
      yield* readPaged(stream, client, ctx, null, null, tracker, undefined);
      return;
    }
    yield { type: 'checkpoint', state: { phase: 'bulk', bulkId: next, rootsDone: 0, ...tracker.state() } };
    yield* readBulk(stream, client, ctx, next, 0, tracker);
    return;
  }

  let root: Record<string, unknown> | undefined;
  let index = 0;
  let batch: ProfileFact[] = [];
  const invalid: ReadMessage[] = [];
  const emit = (record: Record<string, unknown>) => {
    index++;
    if (index <= rootsDone) return;
    const location = `bulk ${bulkId} ${stream.connection} record ${index}`;
    try {
      const fact = stream.map(record, location);
      tracker.see(String(record.id), record.updatedAt as string | undefined);
      batch.push(fact);
    } catch (error) {
      if (!(error instanceof InvalidRecordError)) throw error;
      invalid.push({ type: 'invalid', reason: error.reason, payload: error.payload, location: error.location });
    }
  };
  for await (const line of client.lines(url)) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      invalid.push({ type: 'invalid', reason: 'a line of the bulk result is not JSON', location: `bulk ${bulkId} line after record ${index}` });
      continue;
    }
    if (typeof value.__parentId === 'string') {
      if (!root || !stream.attach?.(root, value)) {
        invalid.push({ type: 'invalid', reason: `a nested record's parent ${value.__parentId} was not found before it`, payload: { id: value.id }, location: `bulk ${bulkId}` });
      }
      continue;
    }
    if (root) emit(root);
    root = value;
    if (batch.length + invalid.length >= BULK_BATCH_SIZE) {
      yield* flush();
      yield { type: 'checkpoint', state: { phase: 'bulk', bulkId, rootsDone: index, ...tracker.state() } };
    }
  }
  if (root) emit(root);
  yield* flush();
  // A bulk operation reads records over time, not at one instant: a record changed while it ran may
  // be older than the newest one read. The next sync starts from the operation's start instead.
  if (createdAt && tracker.cursor !== undefined && tracker.cursor > new Date(createdAt).toISOString()) tracker.rewind(createdAt);
  yield { type: 'checkpoint', state: tracker.state() };

  function* flush(): Generator<ReadMessage> {
    if (batch.length) yield { type: 'facts', facts: batch };
    yield* invalid;
    batch = [];
    invalid.length = 0;
  }
}

async function* readPaged(
  stream: ResourceStream,
  client: AdminClient,
  ctx: ConnectorContext,
  since: string | null,
  startAfter: string | null,
  tracker: CursorTracker,
  previous: { cursor: string; ids: Set<string> } | undefined,
): AsyncGenerator<ReadMessage> {
  const query = `query Page($first: Int!, $after: String, $query: String) {
    ${stream.connection}(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
      nodes { ${stream.fields} }
      pageInfo { hasNextPage endCursor }
    }
  }`;
  const search = searchQuery(stream, since);
  let after = startAfter;
  let page = 0;
  for (;;) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    page++;
    const data = await client.request<Record<string, { nodes: Record<string, unknown>[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>>(query, {
      first: stream.pageSize,
      after,
      query: search || null,
    });
    const { nodes, pageInfo } = data[stream.connection]!;
    const facts: ProfileFact[] = [];
    for (const [i, node] of nodes.entries()) {
      const id = String(node?.id);
      const updatedAt = typeof node?.updatedAt === 'string' ? new Date(node.updatedAt).toISOString() : undefined;
      if (previous && updatedAt === previous.cursor && previous.ids.has(id)) continue;
      if (node && stream.complete) await stream.complete(node, client);
      try {
        facts.push(stream.map(node, `${stream.connection} page ${page} record ${i + 1}`));
        tracker.see(id, updatedAt);
      } catch (error) {
        if (!(error instanceof InvalidRecordError)) throw error;
        yield { type: 'invalid', reason: error.reason, payload: error.payload, location: error.location };
      }
    }
    if (facts.length) yield { type: 'facts', facts };
    after = pageInfo.endCursor ?? after;
    if (!pageInfo.hasNextPage) break;
    yield { type: 'checkpoint', state: { phase: 'paged', since, sinceIds: previous ? [...previous.ids].sort() : [], after, ...tracker.state() } };
  }
  yield { type: 'checkpoint', state: tracker.state() };
}
