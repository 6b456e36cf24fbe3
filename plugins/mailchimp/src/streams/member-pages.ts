import { abortReason, type ConnectorContext, type ReadMessage, type ReadRequest, type StreamState } from '@portrait/connector-sdk';
import { mailchimpTime } from '../mappers/member.mapper.js';
import type { MarketingClient } from '../transport/marketing-client.js';
import type { MailchimpMember } from '../transport/marketing-types.js';

/**
 * How both streams walk an audience's members: `GET /lists/{id}/members` sorted by `last_changed`
 * (ascending), `count`/`offset` pages, and on an incremental sync `since_last_changed` from the
 * audience's cursor. A checkpoint follows each page, so a stopped run resumes at the same offset.
 *
 * Offsets shift when a member changes during the run (it moves to the end): each page starts a few
 * records before the previous one ended and skips the ids it already read, so one such move between
 * two pages hides no one. The cursor is the newest `last_changed` read and the ids read at exactly
 * that second; the next sync asks from one second before it (Mailchimp's times have seconds only) and
 * skips those ids, so a member changed within that second is still read.
 */

/** The most Mailchimp serves per page. */
export const PAGE_SIZE = 1000;
/** Records each page re-reads of the previous one. */
export const PAGE_OVERLAP = 10;

export interface AudienceCursor {
  cursor?: string;
  idsAtCursor?: string[];
}

/** The state of a stream between runs (and within one, at each checkpoint). */
export interface MemberPagesState extends StreamState {
  /** Per audience: where the next incremental sync starts. */
  audiences?: Record<string, AudienceCursor>;
  /** A run in progress: the audience it is reading, its filter and offset, the ids the last page ended with. */
  current?: { listId: string; since: string | null; offset: number; tail: string[]; previous?: AudienceCursor };
}

export interface MemberPage {
  listId: string;
  /** Members of the page not read before in this run (and, on an incremental sync, changed since the cursor). */
  members: MailchimpMember[];
  /** `<list> page at offset N`: where a record came from, for invalid-record reports. */
  location: string;
}

function parseState(state: StreamState | undefined): MemberPagesState {
  if (!state || typeof state !== 'object') return {};
  const s = state as MemberPagesState;
  const audiences: Record<string, AudienceCursor> = {};
  for (const [id, value] of Object.entries(s.audiences ?? {})) {
    if (!value || typeof value !== 'object') continue;
    audiences[id] = {
      cursor: typeof value.cursor === 'string' ? value.cursor : undefined,
      idsAtCursor: Array.isArray(value.idsAtCursor) ? value.idsAtCursor.filter((x): x is string => typeof x === 'string') : undefined,
    };
  }
  const c = s.current;
  const current =
    c && typeof c === 'object' && typeof c.listId === 'string' && typeof c.offset === 'number'
      ? { listId: c.listId, since: typeof c.since === 'string' ? c.since : null, offset: c.offset, tail: Array.isArray(c.tail) ? c.tail.filter((x): x is string => typeof x === 'string') : [], previous: c.previous }
      : undefined;
  return { audiences, current };
}

/** Tracks the newest `last_changed` of an audience and the ids at that second. */
class CursorTracker {
  cursor: string | undefined;
  ids: Set<string>;
  constructor(start: AudienceCursor | undefined) {
    this.cursor = start?.cursor;
    this.ids = new Set(start?.idsAtCursor ?? []);
  }
  see(id: string, at: string): void {
    if (this.cursor === undefined || at > this.cursor) {
      this.cursor = at;
      this.ids = new Set([id]);
    } else if (at === this.cursor) this.ids.add(id);
  }
  state(): AudienceCursor {
    return this.cursor === undefined ? {} : { cursor: this.cursor, idsAtCursor: [...this.ids].sort() };
  }
}

/** `2026-01-01T00:00:00.000Z` → `2025-12-31T23:59:59+00:00`: one second before, as Mailchimp writes times. */
function secondBefore(at: string): string {
  return new Date(Date.parse(at) - 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** A page read and handed over, with what follows it. */
interface PageRead {
  /** The page's messages (facts, invalid records), being prepared. */
  messages: Promise<ReadMessage[]>;
  done: boolean;
  offset: number;
  tail: Set<string>;
  /** The audiences' cursors once this page is stored. */
  audiences: Record<string, AudienceCursor>;
}

/** Keeps a promise that may never be awaited (a read ahead, when the run stops) from failing the process; awaiting it still throws. */
function readAhead<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * Reads the audiences page by page and hands each page to `handle`, which prepares the page's
 * messages (facts, invalid records); a checkpoint follows each page. `fields` selects the member
 * fields to read. The next page is read, and handed over, while the engine stores the current one:
 * its calls fill the time the store takes (a page read twice after a stop is harmless, as the
 * checkpoint only moves once its page is yielded).
 */
export async function* readMemberPages(
  request: ReadRequest,
  audienceIds: readonly string[],
  client: MarketingClient,
  ctx: ConnectorContext,
  fields: string[],
  handle: (page: MemberPage) => Promise<ReadMessage[]>,
): AsyncGenerator<ReadMessage> {
  const state = parseState(request.state);
  const incremental = request.mode === 'incremental' || state.current !== undefined;
  // Cursors of audiences finished in this run (or kept from the last one).
  const audiences: Record<string, AudienceCursor> = { ...(state.audiences ?? {}) };
  const startAt = state.current ? Math.max(0, audienceIds.indexOf(state.current.listId)) : 0;

  for (const listId of audienceIds.slice(startAt)) {
    const resumed = state.current?.listId === listId ? state.current : undefined;
    // What the last completed run left for this audience: the incremental filter and the ids to skip.
    const previous = resumed ? resumed.previous : incremental ? state.audiences?.[listId] : undefined;
    const since = resumed ? resumed.since : previous?.cursor ? secondBefore(previous.cursor) : null;
    const skipAtCursor = new Set(previous?.idsAtCursor ?? []);
    const tracker = new CursorTracker(resumed ? audiences[listId] ?? previous : previous);

    const readPage = async (offset: number, tail: Set<string>): Promise<PageRead> => {
      if (ctx.signal.aborted) throw abortReason(ctx.signal);
      const page = await client.members(listId, {
        fields: [...fields, 'total_items'],
        count: PAGE_SIZE,
        offset,
        sort_field: 'last_changed',
        sort_dir: 'ASC',
        ...(since ? { since_last_changed: since } : {}),
      });
      const records = Array.isArray(page?.members) ? page.members : [];
      const fresh: MailchimpMember[] = [];
      for (const member of records) {
        const id = typeof member?.id === 'string' ? member.id : undefined;
        if (id && tail.has(id)) continue;
        const at = mailchimpTime(member?.last_changed);
        if (id && at && previous?.cursor) {
          // Read last time: older than the cursor, or at the cursor's second and among its ids.
          if (at < previous.cursor || (at === previous.cursor && skipAtCursor.has(id))) continue;
        }
        if (id && at) tracker.see(id, at);
        fresh.push(member);
      }
      const messages = readAhead(handle({ listId, members: fresh, location: `audience ${listId} members at offset ${offset}` }));
      const total = typeof page?.total_items === 'number' ? page.total_items : 0;
      return {
        messages,
        done: records.length === 0 || offset + records.length >= total,
        offset: offset + Math.max(1, records.length - PAGE_OVERLAP),
        tail: new Set(records.slice(-PAGE_OVERLAP).map((m) => m?.id).filter((id): id is string => typeof id === 'string')),
        audiences: { ...audiences, [listId]: tracker.state() },
      };
    };

    let pending = readAhead(readPage(resumed?.offset ?? 0, new Set(resumed?.tail ?? [])));
    /** The page read ahead, until the loop takes it. */
    let ahead: Promise<PageRead> | undefined;
    try {
      for (;;) {
        const read = await pending;
        ahead = undefined;
        // The next page is read while this one is handed over and stored.
        if (!read.done) pending = ahead = readAhead(readPage(read.offset, read.tail));
        yield* await read.messages;
        if (read.done) break;
        Object.assign(audiences, read.audiences);
        yield { type: 'checkpoint', state: { audiences: read.audiences, current: { listId, since, offset: read.offset, tail: [...read.tail], previous } } };
      }
    } finally {
      // Stopped early (the run cancelled or failed, or its reader done): the page read ahead is left
      // to settle first, so that no call of this stream outlives it.
      await ahead?.then((read) => read.messages).catch(() => undefined);
    }
    audiences[listId] = tracker.state();
    const index = audienceIds.indexOf(listId);
    const following = audienceIds[index + 1];
    if (following) {
      const last = incremental ? state.audiences?.[following] : undefined;
      yield { type: 'checkpoint', state: { audiences, current: { listId: following, since: last?.cursor ? secondBefore(last.cursor) : null, offset: 0, tail: [], previous: last } } };
    }
  }
  yield { type: 'checkpoint', state: { audiences } };
}
