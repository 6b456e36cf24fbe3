import { SandboxHttpError } from './sandbox-http-error.js';
import type { SandboxRequest } from './sandbox-server.js';

/**
 * Pagination as channel APIs do it, for sandbox routes: page numbers (`?page=2&per_page=50`) or
 * opaque cursors (`?cursor=…&limit=50`). Records pass through the sandbox's malformed-record faults.
 */

export interface PageOptions {
  pageParam?: string;
  sizeParam?: string;
  defaultSize?: number;
  maxSize?: number;
}

export interface Page<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
  totalPages: number;
  /** The next page number, or null on the last page. */
  nextPage: number | null;
}

/** Page-number pagination over `items` (already filtered and sorted). Pages start at 1. */
export function pageOf<T>(items: readonly T[], request: SandboxRequest, options: PageOptions = {}): Page<T> {
  const perPage = clampInt(request.query.get(options.sizeParam ?? 'per_page'), options.defaultSize ?? 50, 1, options.maxSize ?? 250);
  const page = clampInt(request.query.get(options.pageParam ?? 'page'), 1, 1, Number.MAX_SAFE_INTEGER);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return {
    items: request.corrupt(slice),
    page,
    perPage,
    total: items.length,
    totalPages,
    nextPage: page < totalPages ? page + 1 : null,
  };
}

export interface CursorOptions {
  cursorParam?: string;
  limitParam?: string;
  defaultLimit?: number;
  maxLimit?: number;
}

export interface CursorPage<T> {
  items: T[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

/** Cursor pagination over `items` (already filtered and sorted): the cursor is an opaque offset. */
export function cursorPageOf<T>(items: readonly T[], request: SandboxRequest, options: CursorOptions = {}): CursorPage<T> {
  const limit = clampInt(request.query.get(options.limitParam ?? 'limit'), options.defaultLimit ?? 50, 1, options.maxLimit ?? 250);
  const cursor = request.query.get(options.cursorParam ?? 'cursor');
  const offset = cursor ? decodeCursor(cursor) : 0;
  const slice = items.slice(offset, offset + limit);
  return {
    items: request.corrupt(slice),
    nextCursor: offset + limit < items.length ? encodeCursor(offset + limit) : null,
  };
}

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new SandboxHttpError(400, 'invalid cursor');
  return Number(match[1]);
}

function clampInt(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new SandboxHttpError(400, `invalid value ${raw}: expected an integer between ${min} and ${max}`);
  return value;
}
