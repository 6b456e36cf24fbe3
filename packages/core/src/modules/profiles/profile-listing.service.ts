import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProfileException } from './profile.exception.js';
import { decodeTimeIdCursor, encodeCursor, pageLimit, PROFILE_VIEW_COLUMNS, toProfileView, type Page, type ProfileRow, type ProfileView } from './profiles.service.js';

export interface ProfileListQuery {
  /** 1 to 200 (default 50). */
  limit?: number;
  cursor?: string;
  /** Only profiles changed at or after this instant (ISO-8601), e.g. to sync what changed since the last run. */
  updatedSince?: string;
  kind?: 'person' | 'account';
  /** Only the profiles assigned this persona (an id; the caller checks that it exists). */
  personaId?: string;
  /** Only the profiles of this typology (`need_based`, `deal_based`, `impulsive`, `loyal`). */
  typology?: string;
  /** Only the members of this segment (an id; the caller checks that it exists). */
  segmentId?: string;
  /**
   * Only profiles whose name holds this text, case-insensitively: `first_name` and `last_name` together
   * (`Ana Silva`), or `name` (accounts, and sources that send one whole).
   */
  name?: string;
}

/** The text a name search is matched against: `first_name last_name name`, of the profile `p`. */
const NAME_TEXT = `concat_ws(' ', p.traits->>'first_name', p.traits->>'last_name', p.traits->>'name')`;

/** A LIKE pattern matching `text` anywhere, its own `%`, `_` and `\` taken literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The persona, typology and segment filters of a profile list as SQL conditions on `p`, their values pushed to `params`. */
function membershipFilters(query: Pick<ProfileListQuery, 'personaId' | 'typology' | 'segmentId'>, params: unknown[]): string[] {
  const where: string[] = [];
  if (query.segmentId !== undefined) {
    params.push(query.segmentId);
    where.push(`p.id IN (SELECT m.profile_id FROM segment_memberships m WHERE m.segment_id = $${params.length}::uuid)`);
  }
  if (query.personaId !== undefined) {
    params.push(query.personaId);
    where.push(`p.persona_id = $${params.length}::uuid`);
  }
  if (query.typology !== undefined) {
    params.push(query.typology);
    where.push(`p.typology = $${params.length}::text`);
  }
  return where;
}

/**
 * Lists a workspace's live profiles (merged-away ones are left out) in the order they last changed,
 * oldest change first, keyset-paginated on (updated_at, id) so that a page costs one index range scan
 * however deep the cursor. A profile that changes while a client pages moves to the end, where the
 * client meets it again: walking to the end yields every profile at its latest state.
 */
@Injectable()
export class ProfileListingService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(workspaceId: string, query: ProfileListQuery = {}): Promise<Page<ProfileView>> {
    const limit = pageLimit(query.limit);
    const params: unknown[] = [workspaceId, limit + 1];
    const where: string[] = [];
    if (query.cursor) {
      const position = decodeTimeIdCursor(query.cursor);
      if (!position) throw new ProfileException('INVALID_CURSOR', 'cursor is not one this API returned');
      params.push(...position);
      where.push(`(p.updated_at, p.id) > ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    if (query.updatedSince) {
      params.push(query.updatedSince);
      where.push(`p.updated_at >= $${params.length}::timestamptz`);
    }
    if (query.kind) {
      params.push(query.kind);
      where.push(`p.kind = $${params.length}`);
    }
    where.push(...membershipFilters(query, params));
    if (query.name !== undefined) {
      params.push(containsPattern(query.name.trim().replace(/\s+/g, ' ')));
      where.push(`${NAME_TEXT} ILIKE $${params.length}`);
    }
    // updated_at with its microseconds goes in the cursor (a JS Date keeps only milliseconds).
    const found: (ProfileRow & { updated_at_text: string })[] = await this.dataSource.query(
      `SELECT ${PROFILE_VIEW_COLUMNS}, p.updated_at::text AS updated_at_text
       FROM profiles p
       WHERE p.workspace_id = $1 AND p.merged_into IS NULL ${where.map((w) => `AND ${w}`).join(' ')}
       ORDER BY p.updated_at, p.id LIMIT $2`,
      params,
    );
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toProfileView),
      nextCursor: found.length > limit && last ? encodeCursor([last.updated_at_text, last.id]) : null,
    };
  }
}
