import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { poolQuery, rows } from '../../engine/database/sql.js';
import { IdentityNormalizer } from '../identity/identity-normalizer.js';
import { ProfileException } from './profile.exception.js';
import { ProfileSettingsService } from './profile-settings.service.js';

export interface ProfileIdentityView {
  type: string;
  value: string;
  source: string;
  firstSeenAt: string;
}

export interface ProfileView {
  id: string;
  kind: 'person' | 'account';
  traits: Record<string, unknown>;
  computed: Record<string, unknown>;
  identities: ProfileIdentityView[];
  /** People: their accounts. Accounts: their people. */
  linked: string[];
  /** The best-matching buyer persona (people only); null when none reaches its minimum score. */
  personaId: string | null;
  /** The profile's score (0 to 1) for that persona; null without one. */
  personaScore: number | null;
  /** How the person buys, with the reason and when it was set (people only); null until classified. */
  typology: ProfileTypologyView | null;
  /** The best ICP fit (0 to 100): an account's own, a person's account's; null without one. */
  icpFit: number | null;
  /** Whether that account is qualified for at least one ICP; null without a fit. */
  icpQualified: boolean | null;
  /** People: the account the fit is inherited from; null for accounts and without a fit. */
  icpAccountId: string | null;
  /** Accounts: their score for each ICP of the workspace, oldest ICP first; people: none. */
  icpScores: ProfileIcpScore[];
  createdAt: string;
  updatedAt: string;
  /** Set when the id asked for was merged away: the id asked for. */
  mergedFrom?: string;
}

/** A person's typology: one of need_based, deal_based, impulsive, loyal, or unknown. */
export interface ProfileTypologyView {
  value: string;
  /** Why, in words and figures: `4 of 5 orders used a discount code or were bought on sale (80%; deal-based from 50%)`. */
  reason: string | null;
  /** What the rules measured: orders, dealOrders, impulseOrders, meanIntervalDays, intervalVariation, … */
  figures: Record<string, unknown> | null;
  /** When the profile got this typology. */
  setAt: string | null;
}

/** An account's score for one ICP. */
export interface ProfileIcpScore {
  icp: string;
  name: string;
  score: number;
  qualified: boolean;
  threshold: number;
}

export interface EventView {
  id: string;
  type: string;
  source: string;
  occurredAt: string;
  properties: Record<string, unknown>;
}

/** A consent statement of a profile: what a source said about a purpose, and when. */
export interface ConsentView {
  purpose: string;
  source: string;
  granted: boolean;
  at: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface EventQuery {
  limit?: number;
  cursor?: string;
  type?: string;
  since?: string;
  until?: string;
}


/** What a read of profiles (aliased `p`) selects for their views: the row, its identities and its links. */
export const PROFILE_VIEW_COLUMNS = `p.id, p.kind, p.traits, p.computed, p.persona_id, p.persona_score, p.typology, p.typology_reason, p.typology_figures, p.typology_set_at, p.icp_fit, p.icp_qualified, p.icp_account_id, p.created_at, p.updated_at,
       coalesce((SELECT json_agg(json_build_object('icp', x.key, 'name', x.name, 'score', s.score, 'qualified', s.qualified, 'threshold', x.threshold) ORDER BY x.created_at, x.id)
                 FROM icp_scores s JOIN icps x ON x.id = s.icp_id AND x.deleted_at IS NULL WHERE s.account_id = p.id), '[]') AS icp_scores,
       coalesce((SELECT json_agg(json_build_object('type', i.type, 'value', i.value, 'source', i.source, 'firstSeenAt', i.first_seen_at) ORDER BY i.type, i.value)
                 FROM identities i WHERE i.profile_id = p.id), '[]') AS identities,
       coalesce((SELECT json_agg(DISTINCT CASE WHEN p.kind = 'person' THEN l.account_id ELSE l.person_id END)
                 FROM account_links l WHERE l.person_id = p.id OR l.account_id = p.id), '[]') AS linked`;

/** A profile's view from the row `PROFILE_VIEW_COLUMNS` selected. */
export function toProfileView(row: ProfileRow): ProfileView {
  return {
    id: row.id,
    kind: row.kind,
    traits: row.traits,
    computed: row.computed,
    identities: row.identities.map((i) => ({ ...i, firstSeenAt: new Date(i.firstSeenAt).toISOString() })),
    linked: row.linked,
    personaId: row.persona_id,
    personaScore: row.persona_score,
    typology: row.typology
      ? { value: row.typology, reason: row.typology_reason, figures: row.typology_figures, setAt: row.typology_set_at ? new Date(row.typology_set_at).toISOString() : null }
      : null,
    icpFit: row.icp_fit,
    icpQualified: row.icp_qualified,
    icpAccountId: row.icp_account_id,
    icpScores: row.icp_scores,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** The columns of a profile as its view needs them (`PROFILE_VIEW_COLUMNS` over a `profiles p`). */
export interface ProfileRow {
  id: string;
  kind: 'person' | 'account';
  traits: Record<string, unknown>;
  computed: Record<string, unknown>;
  persona_id: string | null;
  persona_score: number | null;
  typology: string | null;
  typology_reason: string | null;
  typology_figures: Record<string, unknown> | null;
  typology_set_at: Date | null;
  icp_fit: number | null;
  icp_qualified: boolean | null;
  icp_account_id: string | null;
  icp_scores: ProfileIcpScore[];
  created_at: Date;
  updated_at: Date;
  identities: ProfileIdentityView[];
  linked: string[];
}

@Injectable()
export class ProfilesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: ProfileSettingsService,
  ) {}

  /** The surviving profile of `id` (itself, or the profile it was merged into, transitively), or undefined. */
  async resolveId(workspaceId: string, id: string): Promise<string | undefined> {
    if (!isUuid(id)) return undefined;
    const [row] = await this.dataSource.query(
      `WITH RECURSIVE chain AS (
         SELECT id, merged_into, 0 AS depth FROM profiles WHERE id = $2 AND workspace_id = $1
         UNION ALL
         SELECT p.id, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < 1000
       )
       SELECT id FROM chain WHERE merged_into IS NULL`,
      [workspaceId, id],
    );
    return row?.id;
  }

  /** A profile by id, following merges: a merged-away id answers with the survivor and says so. */
  async get(workspaceId: string, id: string): Promise<ProfileView> {
    const found = isUuid(id) ? await this.read(workspaceId, `SELECT $2::uuid AS id`, [id]) : undefined;
    if (!found) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    return found.id !== id ? { ...found, mergedFrom: id } : found;
  }

  /** A profile by any identity; the value is normalized as at ingest (`Ana@X.com ` finds `ana@x.com`). */
  async findByIdentity(workspaceId: string, type: string, value: string): Promise<ProfileView | undefined> {
    const settings = await this.settings.get(workspaceId);
    const normalized = new IdentityNormalizer(settings.identity).normalize({ type, value });
    if (!normalized.ok) return undefined;
    return this.read(workspaceId, `SELECT i.profile_id AS id FROM identities i WHERE i.workspace_id = $1 AND i.type = $2 AND i.value = $3`, [
      normalized.identity.type,
      normalized.identity.value,
    ]);
  }

  /**
   * The surviving profile of the one `start` selects (a statement over $1 = the workspace and `params`
   * from $2 on, answering one `id`), read in one round trip: the chain of merges followed, then the
   * profile with its identities and links.
   */
  private async read(workspaceId: string, start: string, params: unknown[]): Promise<ProfileView | undefined> {
    const [row] = await poolQuery<ProfileRow>(
      this.dataSource,
      `WITH RECURSIVE chain AS (
         SELECT p.id, p.merged_into, 0 AS depth FROM profiles p WHERE p.workspace_id = $1 AND p.id = (${start} LIMIT 1)
         UNION ALL
         SELECT p.id, p.merged_into, c.depth + 1 FROM profiles p JOIN chain c ON p.id = c.merged_into WHERE c.depth < 1000
       )
       SELECT ${PROFILE_VIEW_COLUMNS}
       FROM chain c JOIN profiles p ON p.id = c.id WHERE c.merged_into IS NULL`,
      [workspaceId, ...params],
    );
    return row ? toProfileView(row) : undefined;
  }

  /** The profile's events, newest first, cursor-paginated. */
  async events(workspaceId: string, id: string, query: EventQuery = {}): Promise<Page<EventView>> {
    const survivor = await this.resolveId(workspaceId, id);
    if (!survivor) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    const limit = pageLimit(query.limit);
    const params: unknown[] = [workspaceId, survivor, limit + 1];
    const where: string[] = [];
    if (query.cursor) {
      const position = decodeTimeSerialCursor(query.cursor);
      if (!position) throw new ProfileException('INVALID_CURSOR', 'cursor is not one this API returned');
      params.push(...position);
      where.push(`(e.occurred_at, e.id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    if (query.type) {
      params.push(query.type);
      where.push(`e.type = $${params.length}`);
    }
    if (query.since) {
      params.push(query.since);
      where.push(`e.occurred_at >= $${params.length}::timestamptz`);
    }
    if (query.until) {
      params.push(query.until);
      where.push(`e.occurred_at < $${params.length}::timestamptz`);
    }
    const found = await this.dataSource.query(
      `SELECT e.id::text, e.type, e.source, e.occurred_at, e.properties FROM events e
       WHERE e.workspace_id = $1 AND e.profile_id = $2 ${where.map((w) => `AND ${w}`).join(' ')}
       ORDER BY e.occurred_at DESC, e.id DESC LIMIT $3`,
      params,
    );
    const page = found.slice(0, limit).map((e: { id: string; type: string; source: string; occurred_at: Date; properties: Record<string, unknown> }) => ({
      id: e.id,
      type: e.type,
      source: e.source,
      occurredAt: new Date(e.occurred_at).toISOString(),
      properties: e.properties,
    }));
    const last = page[page.length - 1];
    return { data: page, nextCursor: found.length > limit && last ? encodeCursor([last.occurredAt, last.id]) : null };
  }

  /** The consent statements of the profile (and of the profiles merged into it), by purpose, newest first. */
  async consents(workspaceId: string, id: string): Promise<ConsentView[]> {
    const survivor = await this.resolveId(workspaceId, id);
    if (!survivor) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    const found: { purpose: string; source: string; granted: boolean; at: Date }[] = await this.dataSource.query(
      `SELECT purpose, source, granted, at FROM consents WHERE workspace_id = $1 AND profile_id = $2 ORDER BY purpose, at DESC, source`,
      [workspaceId, survivor],
    );
    return found.map((c) => ({ purpose: c.purpose, source: c.source, granted: c.granted, at: new Date(c.at).toISOString() }));
  }

  /** The identities of these profiles (as stored: normalized), read in the caller's transaction. */
  async identitiesIn(runner: QueryRunner, workspaceId: string, profileIds: string[]): Promise<{ type: string; value: string }[]> {
    return rows<{ type: string; value: string }>(
      runner,
      `SELECT DISTINCT type, value FROM identities WHERE workspace_id = $1 AND (profile_id = ANY($2::uuid[]) OR origin_profile_id = ANY($2::uuid[]))`,
      [workspaceId, profileIds],
    );
  }

  /**
   * Deletes everything the profile core holds on these profiles, in the caller's transaction (an
   * erasure): events, identities, source records, consents and their history, account links (the linked accounts
   * themselves stay), trait changes, merges, the identity conflicts kept on them, then the profiles —
   * and with them their persona assignment and computed traits. Answers the rows deleted per table.
   */
  async eraseIn(runner: QueryRunner, workspaceId: string, profileIds: string[]): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    const remove = async (table: string, ...columns: string[]) => {
      const mine = columns.map((c) => `t.${c} = ANY($2::uuid[])`).join(' OR ');
      deleted[table] = (await rows(runner, `DELETE FROM ${table} t WHERE t.workspace_id = $1 AND (${mine}) RETURNING 1`, [workspaceId, profileIds])).length;
    };
    await remove('events', 'profile_id', 'origin_profile_id');
    await remove('identities', 'profile_id', 'origin_profile_id');
    await remove('source_records', 'profile_id', 'origin_profile_id');
    await remove('consents', 'profile_id', 'origin_profile_id');
    await remove('consent_changes', 'profile_id', 'origin_profile_id');
    await remove('account_links', 'person_id', 'account_id', 'origin_person_id', 'origin_account_id');
    await remove('trait_changes', 'profile_id');
    await remove('merges', 'winner_id', 'loser_id');
    await remove('identity_conflicts', 'kept_profile_id');
    await remove('profiles', 'id');
    return deleted;
  }

  /** Each trait with its value and provenance, and every source's own observations. */
  async traits(workspaceId: string, id: string) {
    const survivor = await this.resolveId(workspaceId, id);
    if (!survivor) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    const [profile] = await this.dataSource.query(`SELECT traits, trait_sources FROM profiles WHERE id = $1`, [survivor]);
    type RecordRow = { source: string; external_id: string; traits: Record<string, { v: unknown; at: string; raw?: unknown }>; observed_at: Date };
    const records: RecordRow[] = await this.dataSource.query(
      `SELECT source, external_id, traits, observed_at FROM source_records WHERE workspace_id = $1 AND profile_id = $2 ORDER BY source, external_id`,
      [workspaceId, survivor],
    );
    return {
      profileId: survivor,
      traits: Object.fromEntries(
        Object.entries(profile.traits as Record<string, unknown>).map(([key, value]) => [key, { value, ...profile.trait_sources[key] }]),
      ) as Record<string, { value: unknown; source: string; observedAt: string }>,
      observations: records.map((r) => ({
        source: r.source,
        externalId: r.external_id,
        observedAt: new Date(r.observed_at).toISOString(),
        traits: Object.fromEntries(Object.entries(r.traits).map(([k, o]) => [k, { value: o.v, observedAt: o.at, ...(o.raw !== undefined ? { raw: o.raw } : {}) }])),
      })),
    };
  }

  /** Trait changes of the profile and of the profiles merged into it, newest first. */
  async traitHistory(workspaceId: string, id: string, query: { limit?: number; cursor?: string; trait?: string } = {}) {
    const survivor = await this.resolveId(workspaceId, id);
    if (!survivor) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    const limit = pageLimit(query.limit);
    const params: unknown[] = [workspaceId, survivor, limit + 1];
    let extra = '';
    if (query.cursor) {
      const id = decodeSerialCursor(query.cursor);
      if (!id) throw new ProfileException('INVALID_CURSOR', 'cursor is not one this API returned');
      params.push(id);
      extra += ` AND c.id < $${params.length}::bigint`;
    }
    if (query.trait) {
      params.push(query.trait);
      extra += ` AND c.changes ? $${params.length}`;
    }
    type ChangeRow = { id: string; profile_id: string; changes: Record<string, unknown>; changed_at: Date };
    const found: ChangeRow[] = await this.dataSource.query(
      `WITH RECURSIVE tree AS (
         SELECT id FROM profiles WHERE id = $2
         UNION ALL SELECT p.id FROM profiles p JOIN tree t ON p.merged_into = t.id
       )
       SELECT c.id::text, c.profile_id, c.changes, c.changed_at FROM trait_changes c
       WHERE c.workspace_id = $1 AND c.profile_id IN (SELECT id FROM tree) ${extra}
       ORDER BY c.id DESC LIMIT $3`,
      params,
    );
    const page = found.slice(0, limit).map((c) => ({
      id: c.id,
      profileId: c.profile_id,
      changes: query.trait ? { [query.trait]: c.changes[query.trait] } : c.changes,
      changedAt: new Date(c.changed_at).toISOString(),
    }));
    const last = page[page.length - 1];
    return { data: page, nextCursor: found.length > limit && last ? encodeCursor([last.id]) : null };
  }
}

export function encodeCursor(parts: (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string): string[] {
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.every((p) => typeof p === 'string' || typeof p === 'number')) return parts.map(String);
  } catch {
    /* fall through */
  }
  throw new ProfileException('INVALID_CURSOR', 'cursor is not one this API returned');
}

/** The size of a page: 50 unless asked, between 1 and 200. */
export function pageLimit(limit?: number): number {
  return Math.min(Math.max(limit ?? 50, 1), 200);
}

/** PostgreSQL's text form of a timestamptz, as put in cursors. */
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/**
 * The position of a keyset cursor over (a timestamptz, a uuid), as the lists hand them out; undefined
 * when the cursor holds anything else. (An unreadable cursor throws INVALID_CURSOR, as decodeCursor does.)
 */
export function decodeTimeIdCursor(cursor: string): [at: string, id: string] | undefined {
  const [at, id] = decodeCursor(cursor);
  return at && id && TIMESTAMP_TEXT.test(at) && isUuid(id) ? [at, id] : undefined;
}

/** A bigint id as cursors hold them (at most 18 digits: always within bigint). */
const SERIAL = /^\d{1,18}$/;
/** An ISO timestamp as `toISOString` writes it (years 0001–9999). */
const ISO_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The position of a keyset cursor over a bigint id alone; undefined when the cursor holds anything else. */
export function decodeSerialCursor(cursor: string): string | undefined {
  const [id] = decodeCursor(cursor);
  return id && SERIAL.test(id) ? id : undefined;
}

/** The position of a keyset cursor over (an ISO timestamp, a bigint id); undefined when it holds anything else. */
function decodeTimeSerialCursor(cursor: string): [at: string, id: string] | undefined {
  const [at, id] = decodeCursor(cursor);
  return at && id && ISO_TEXT.test(at) && !Number.isNaN(Date.parse(at)) && SERIAL.test(id) ? [at, id] : undefined;
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
