import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { inTransaction, rows } from '../../engine/database/sql.js';
import { freeKey, handleFromName, isKeyTaken } from '../../engine/database/handle-keys.js';
import { keysetPage, type PageQuery } from '../profiles/keyset-page.js';
import { decodeSerialCursor, encodeCursor, isUuid, pageLimit, type Page, type ProfileView } from '../profiles/profiles.service.js';
import { ProfileListingService, type ProfileListQuery } from '../profiles/profile-listing.service.js';
import { ProfileException } from '../profiles/profile.exception.js';
import { ProfilesService } from '../profiles/profiles.service.js';
import { SegmentCatalogService, type SegmentCatalog } from './segment-catalog.service.js';
import { SegmentDestinationOutboxService } from './segment-destination-outbox.service.js';
import { compileSegment, type CompiledSegment } from './segment-compiler.js';
import { SEGMENT_LANGUAGE_VERSION, type SegmentCondition } from './segment-definition.js';
import { isTimeWindowed, validateSegmentDefinition } from './segment-validator.js';
import { SegmentException } from './segment.exception.js';

export interface SegmentView {
  id: string;
  name: string;
  /** A stable handle (lower-case letters, digits, `-`, `_`), unique among the workspace's segments. */
  key: string;
  description: string | null;
  definition: SegmentCondition;
  languageVersion: number;
  /** The definition's revision: 1 when created, bumped by each update that changes it. */
  version: number;
  timeWindowed: boolean;
  size: number;
  computedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SegmentInput {
  name: string;
  /** Derived from the name when absent (with a numeric suffix if taken). */
  key?: string;
  description?: string | null;
  definition: unknown;
}

/** One point of a segment's size history. */
export interface SegmentSizePoint {
  at: string;
  size: number;
}

export interface SegmentMember {
  profileId: string;
  enteredAt: string;
}

export interface SegmentPreview {
  count: number;
  /** The first 20 matching profiles, oldest first. */
  profiles: { id: string; kind: 'person' | 'account'; traits: Record<string, unknown> }[];
}

export interface SegmentRun {
  kind: 'full' | 'incremental' | 'scheduled';
  startedAt: string;
  durationMs: number;
  size: number;
  entered: number;
  exited: number;
}

/** A destination connected to a segment, what the last push to it did and what it is still owed. */
export interface SegmentDestinationView {
  sourceId: string;
  connectedAt: string;
  /** The options the segment was connected with, as given (`{}`: the destination's defaults). */
  options: Record<string, unknown>;
  /** Null until the first push. `entered`/`exited`: members the push added and removed (or tried to). */
  lastPush: { at: string; outcome: 'succeeded' | 'failed'; entered: number; exited: number; synced: number; skipped: number; error: string | null } | null;
  /** Members whose membership changed since the destination last confirmed them, and since when the oldest waits. */
  pending: { members: number; since: string | null };
  /** When the next push is due (null: nothing is pending); after failures, backed off. */
  nextAttemptAt: string | null;
  /** Consecutive failed pushes (0 after a success). */
  failedAttempts: number;
}

export interface SegmentMembershipEvent {
  id: string;
  type: 'segment.entered' | 'segment.exited';
  segmentId: string;
  profileId: string;
  at: string;
}

const PREVIEW_SIZE = 20;

type SegmentRow = {
  id: string;
  name: string;
  key: string;
  description: string | null;
  definition: SegmentCondition;
  language_version: number;
  version: number;
  time_windowed: boolean;
  size: number;
  computed_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

export const toSegmentView = (row: SegmentRow): SegmentView => ({
  id: row.id,
  name: row.name,
  key: row.key,
  description: row.description,
  definition: row.definition,
  languageVersion: row.language_version,
  version: row.version,
  timeWindowed: row.time_windowed,
  size: row.size,
  computedAt: row.computed_at ? new Date(row.computed_at).toISOString() : null,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

const invalidCursor = () => new SegmentException('INVALID_CURSOR', 'cursor is not one this API returned');

const KEY = /^[a-z0-9][a-z0-9_-]{0,99}$/;

/** `Big spenders (BR)` → `big-spenders-br`; `segment` when nothing of the name is left. */
export function segmentKeyFromName(name: string): string {
  return handleFromName(name, 'segment');
}

/**
 * Segment definitions (validated, stored with their language version) and reads of their members.
 * Membership itself is computed by `SegmentMembershipService`.
 */
@Injectable()
export class SegmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: SegmentCatalogService,
    private readonly profiles: ProfilesService,
    private readonly listing: ProfileListingService,
    private readonly outbox: SegmentDestinationOutboxService,
  ) {}

  /** Every live definition of the workspace by id (for inlining segment-of-segment references). */
  async definitions(workspaceId: string): Promise<Map<string, SegmentCondition>> {
    const rows: { id: string; definition: SegmentCondition }[] = await this.dataSource.query(
      `SELECT id, definition FROM segments WHERE workspace_id = $1 AND deleted_at IS NULL`,
      [workspaceId],
    );
    return new Map(rows.map((r) => [r.id, r.definition]));
  }

  /**
   * Checks a definition against the language and the workspace's data; throws INVALID_SEGMENT with
   * field-level errors, or SEGMENT_CYCLE when segments would refer to each other.
   */
  async validate(workspaceId: string, definition: unknown, selfId?: string): Promise<{ definition: SegmentCondition; timeWindowed: boolean }> {
    const [catalog, definitions] = await Promise.all([this.catalog.catalog(workspaceId), this.definitions(workspaceId)]);
    return this.check(workspaceId, definition, catalog, definitions, selfId);
  }

  private check(
    workspaceId: string,
    definition: unknown,
    catalog: SegmentCatalog,
    definitions: Map<string, SegmentCondition>,
    selfId?: string,
  ): { definition: SegmentCondition; timeWindowed: boolean } {
    const errors = validateSegmentDefinition(definition, catalog, (id) => definitions.has(id) || id === selfId);
    if (errors.length) throw new SegmentException('INVALID_SEGMENT', `the segment definition is invalid: ${errors[0]!.field}: ${errors[0]!.message}`, errors);
    const condition = definition as SegmentCondition;
    // Compiling inlines every referenced segment: a cycle (or a reference to itself) is refused here.
    compileSegment(workspaceId, condition, (id) => definitions.get(id), { selfId });
    return { definition: condition, timeWindowed: isTimeWindowed(condition, (id) => definitions.get(id)) };
  }

  async create(workspaceId: string, input: SegmentInput): Promise<SegmentView> {
    this.checkName(input.name);
    const { definition, timeWindowed } = await this.validate(workspaceId, input.definition);
    this.checkKey(input.key);
    const key = await freeKey(this.dataSource, 'segments', workspaceId, input, segmentKeyFromName);
    const [row]: SegmentRow[] = await this.dataSource.query(
      `INSERT INTO segments (workspace_id, name, key, description, definition, language_version, time_windowed)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [workspaceId, input.name, key, input.description ?? null, JSON.stringify(definition), SEGMENT_LANGUAGE_VERSION, timeWindowed],
    ).catch((error: unknown) => this.keyTaken(error, key));
    return toSegmentView(row!);
  }

  /** A segment by its key. */
  async getByKey(workspaceId: string, key: string): Promise<SegmentView> {
    const [row]: SegmentRow[] = await this.dataSource.query(`SELECT * FROM segments WHERE workspace_id = $1 AND key = $2 AND deleted_at IS NULL`, [workspaceId, key]);
    if (!row) throw new SegmentException('SEGMENT_NOT_FOUND', `segment ${key} does not exist`);
    return toSegmentView(row);
  }

  /** Replaces a definition; the caller recomputes (`SegmentMembershipService.recompute`) this segment and those that refer to it. */
  async update(workspaceId: string, id: string, input: SegmentInput): Promise<SegmentView> {
    this.checkName(input.name);
    const current = await this.get(workspaceId, id);
    const { definition, timeWindowed } = await this.validate(workspaceId, input.definition, id);
    this.checkKey(input.key);
    const key = await freeKey(this.dataSource, 'segments', workspaceId, input, segmentKeyFromName, current.key);
    const [[row]]: [SegmentRow[], number] = await this.dataSource.query(
      `UPDATE segments SET name = $3, key = $4, description = $5, definition = $6, language_version = $7, time_windowed = $8,
              version = version + CASE WHEN definition IS DISTINCT FROM $6::jsonb THEN 1 ELSE 0 END, updated_at = now()
       WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING *`,
      [workspaceId, id, input.name, key, input.description ?? null, JSON.stringify(definition), SEGMENT_LANGUAGE_VERSION, timeWindowed],
    ).catch((error: unknown) => this.keyTaken(error, key));
    return toSegmentView(row!);
  }

  /** Deletes a segment unless another one refers to it; its memberships go with it. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    const users: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM segments WHERE workspace_id = $1 AND deleted_at IS NULL AND id <> $2 AND jsonb_path_exists(definition, '$.** ? (@.segment == $id)', jsonb_build_object('id', $2::text))`,
      [workspaceId, id],
    );
    if (users.length) {
      throw new SegmentException('INVALID_SEGMENT', `segment ${id} is used by other segments`, [{ field: 'id', message: `used by ${users.map((u) => u.id).join(', ')}` }]);
    }
    await inTransaction(this.dataSource, async (runner) => {
      // The row lock waits for a run in progress, and makes the next one skip the segment.
      await runner.query(`SELECT 1 FROM segments WHERE workspace_id = $1 AND id = $2 FOR UPDATE`, [workspaceId, id]);
      await runner.query(`DELETE FROM segment_memberships WHERE segment_id = $1`, [id]);
      // Nothing more is pushed for a deleted segment.
      await runner.query(`DELETE FROM segment_destination_pending WHERE segment_id = $1`, [id]);
      await runner.query(`UPDATE segments SET deleted_at = now(), size = 0 WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
    });
  }

  /**
   * Forgets these profiles in every segment, in the caller's transaction (an erasure): their
   * memberships (each segment's size follows), their entered/exited log and their place in the
   * destinations' outbox and confirmed members. No exit is logged or pushed: the person is gone, not moved.
   */
  async eraseProfilesIn(runner: QueryRunner, workspaceId: string, profileIds: string[]): Promise<Record<string, number>> {
    const [gone]: { memberships: number }[] = await runner.query(
      `WITH gone AS (DELETE FROM segment_memberships m WHERE m.workspace_id = $1 AND m.profile_id = ANY($2::uuid[]) RETURNING m.segment_id),
       per_segment AS (SELECT segment_id, count(*)::int AS n FROM gone GROUP BY segment_id),
       sized AS (UPDATE segments s SET size = greatest(s.size - p.n, 0) FROM per_segment p WHERE s.id = p.segment_id AND s.workspace_id = $1 RETURNING s.id)
       SELECT (SELECT count(*) FROM gone)::int AS memberships`,
      [workspaceId, profileIds],
    );
    const logged = await rows(runner, `DELETE FROM segment_membership_events WHERE workspace_id = $1 AND profile_id = ANY($2::uuid[]) RETURNING 1`, [workspaceId, profileIds]);
    const pending = await rows(runner, `DELETE FROM segment_destination_pending WHERE workspace_id = $1 AND profile_id = ANY($2::uuid[]) RETURNING 1`, [workspaceId, profileIds]);
    const confirmed = await rows(runner, `DELETE FROM segment_destination_members WHERE workspace_id = $1 AND profile_id = ANY($2::uuid[]) RETURNING 1`, [workspaceId, profileIds]);
    return {
      segment_memberships: gone!.memberships,
      segment_membership_events: logged.length,
      segment_destination_pending: pending.length,
      segment_destination_members: confirmed.length,
    };
  }

  async get(workspaceId: string, id: string): Promise<SegmentView> {
    if (!isUuid(id)) throw new SegmentException('SEGMENT_NOT_FOUND', `segment ${id} does not exist`);
    const [row]: SegmentRow[] = await this.dataSource.query(`SELECT * FROM segments WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`, [workspaceId, id]);
    if (!row) throw new SegmentException('SEGMENT_NOT_FOUND', `segment ${id} does not exist`);
    return toSegmentView(row);
  }

  /** Segments of the workspace, oldest first, keyset-paginated. */
  async list(workspaceId: string, query: PageQuery = {}): Promise<Page<SegmentView>> {
    const { rows, nextCursor } = await keysetPage<SegmentRow>(
      this.dataSource,
      { time: 'created_at', id: 'id' },
      query,
      [workspaceId],
      ({ after, keys, orderAndLimit }) => `SELECT *, ${keys} FROM segments WHERE workspace_id = $1 AND deleted_at IS NULL ${after} ${orderAndLimit}`,
      invalidCursor,
    );
    return { data: rows.map(toSegmentView), nextCursor };
  }

  /** Member profile ids with the time they entered, in id order, keyset-paginated on the primary key. */
  async members(workspaceId: string, id: string, query: PageQuery = {}): Promise<Page<SegmentMember>> {
    await this.get(workspaceId, id);
    const { rows, nextCursor } = await keysetPage<{ profile_id: string; entered_at: Date }>(
      this.dataSource,
      { id: 'profile_id' },
      query,
      [id],
      ({ after, keys, orderAndLimit }) => `SELECT profile_id, entered_at, ${keys} FROM segment_memberships WHERE segment_id = $1 ${after} ${orderAndLimit}`,
      invalidCursor,
    );
    return { data: rows.map((r) => ({ profileId: r.profile_id, enteredAt: new Date(r.entered_at).toISOString() })), nextCursor };
  }

  /** The segments a profile (or the profile it was merged into) belongs to. */
  async profileSegments(workspaceId: string, profileId: string): Promise<{ profileId: string; segments: (SegmentView & { enteredAt: string })[] }> {
    const survivor = isUuid(profileId) ? await this.profiles.resolveId(workspaceId, profileId) : undefined;
    if (!survivor) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${profileId} does not exist`);
    const rows: (SegmentRow & { entered_at: Date })[] = await this.dataSource.query(
      `SELECT s.*, m.entered_at FROM segment_memberships m JOIN segments s ON s.id = m.segment_id
       WHERE m.profile_id = $1 AND s.workspace_id = $2 AND s.deleted_at IS NULL ORDER BY s.created_at, s.id`,
      [survivor, workspaceId],
    );
    return { profileId: survivor, segments: rows.map((r) => ({ ...toSegmentView(r), enteredAt: new Date(r.entered_at).toISOString() })) };
  }

  /**
   * Live profiles of a segment in the order they last changed, with the same cursor and filters as the
   * profile listing (the `segment` filter of the profile list).
   */
  async memberProfiles(workspaceId: string, segmentId: string, query: Omit<ProfileListQuery, 'segmentId'> = {}): Promise<Page<ProfileView>> {
    await this.get(workspaceId, segmentId);
    return this.listing.list(workspaceId, { ...query, segmentId });
  }

  /** How many profiles an unsaved definition matches now, and the first 20 of them. */
  async preview(workspaceId: string, definition: unknown): Promise<SegmentPreview> {
    const [catalog, definitions] = await Promise.all([this.catalog.catalog(workspaceId), this.definitions(workspaceId)]);
    const { definition: condition } = this.check(workspaceId, definition, catalog, definitions);
    const options = { types: catalog.types };
    const all = compileSegment(workspaceId, condition, (id) => definitions.get(id), options);
    const first = compileSegment(workspaceId, condition, (id) => definitions.get(id), { ...options, limit: PREVIEW_SIZE });
    const [[{ count }], profiles] = await Promise.all([
      this.dataSource.query(`SELECT count(*)::int AS count FROM (${all.sql}) s`, all.params) as Promise<{ count: number }[]>,
      this.dataSource.query(`SELECT p.id, p.kind, p.traits FROM profiles p JOIN (${first.sql}) s ON s.id = p.id ORDER BY p.created_seq`, first.params),
    ]);
    return { count: count!, profiles };
  }

  /**
   * The statement a full run of a saved segment executes, with the workspace's observed types: the ids
   * of its matching live profiles, as parameterized SQL ($1 the workspace), to read, explain or time
   * next to another query (the segments benchmark).
   */
  async statement(workspaceId: string, id: string): Promise<CompiledSegment> {
    const segment = await this.get(workspaceId, id);
    const [catalog, definitions] = await Promise.all([this.catalog.catalog(workspaceId), this.definitions(workspaceId)]);
    return compileSegment(workspaceId, segment.definition, (other) => definitions.get(other), { selfId: id, types: catalog.types });
  }

  /** Size history: the recorded runs of a segment, newest first. */
  async runs(workspaceId: string, id: string, limit = 50): Promise<SegmentRun[]> {
    await this.get(workspaceId, id);
    const rows: { kind: SegmentRun['kind']; started_at: Date; duration_ms: number; size: number; entered: number; exited: number }[] = await this.dataSource.query(
      `SELECT kind, started_at, duration_ms, size, entered, exited FROM segment_runs WHERE segment_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
      [id, pageLimit(limit)],
    );
    return rows.map((r) => ({ kind: r.kind, startedAt: new Date(r.started_at).toISOString(), durationMs: r.duration_ms, size: r.size, entered: r.entered, exited: r.exited }));
  }

  /** Size history: one point per recompute over the whole segment or that changed its size, oldest first, from `since`. */
  async sizeHistory(workspaceId: string, id: string, query: { since?: string; limit?: number } = {}): Promise<SegmentSizePoint[]> {
    await this.get(workspaceId, id);
    if (query.since !== undefined && Number.isNaN(Date.parse(query.since))) {
      throw new SegmentException('INVALID_SEGMENT', 'since must be an ISO-8601 instant', [{ field: 'since', message: 'must be an ISO-8601 instant' }]);
    }
    const rows: { at: Date; size: number }[] = await this.dataSource.query(
      `SELECT at, size FROM (SELECT at, size, id FROM segment_size_history WHERE segment_id = $1 AND ($2::timestamptz IS NULL OR at >= $2::timestamptz)
         ORDER BY at DESC, id DESC LIMIT $3) h ORDER BY at, id`,
      [id, query.since ?? null, Math.min(Math.max(query.limit ?? 1000, 1), 10_000)],
    );
    return rows.map((r) => ({ at: new Date(r.at).toISOString(), size: r.size }));
  }

  /** The workspace's segment.entered / segment.exited log after `cursor` (oldest first), for webhooks and destinations. */
  async membershipEvents(workspaceId: string, query: { cursor?: string; limit?: number; segmentId?: string } = {}): Promise<Page<SegmentMembershipEvent>> {
    const limit = pageLimit(query.limit);
    let afterId = '0';
    if (query.cursor) {
      const id = decodeSerialCursor(query.cursor);
      if (!id) throw new SegmentException('INVALID_CURSOR', 'cursor is not one this API returned');
      afterId = id;
    }
    // ORDER BY the table's column: the bare `id` would name the text output column (event 10 before event 9).
    const rows: { id: string; type: SegmentMembershipEvent['type']; segment_id: string; profile_id: string; at: Date }[] = await this.dataSource.query(
      `SELECT id::text, type, segment_id, profile_id, at FROM segment_membership_events
       WHERE workspace_id = $1 AND id > $2::bigint AND ($4::uuid IS NULL OR segment_id = $4::uuid) ORDER BY segment_membership_events.id LIMIT $3`,
      [workspaceId, afterId, limit + 1, query.segmentId ?? null],
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({ id: r.id, type: r.type, segmentId: r.segment_id, profileId: r.profile_id, at: new Date(r.at).toISOString() })),
      nextCursor: last ? encodeCursor([last.id]) : query.cursor ?? null,
    };
  }

  /**
   * Connects a destination (a source able to receive segments) to a segment with its options (already
   * validated by the destination's connector): the segment's current members are queued for it at once
   * (its first push brings it to the whole membership). Connecting again with the same options changes
   * nothing; with other options, they replace the old ones and what the destination confirmed holding
   * no longer counts: the whole current membership is owed again (under the new audience, tag…), and a
   * push in flight under the old options confirms nothing (`SegmentDestinationOutboxService.settle`).
   * What the destination received under the old options stays there.
   */
  async connectDestination(workspaceId: string, segmentId: string, sourceId: string, options: Record<string, unknown> = {}): Promise<void> {
    await this.get(workspaceId, segmentId);
    if (!isUuid(sourceId)) throw new SegmentException('INVALID_SEGMENT', `${sourceId} is not a source id`, [{ field: 'sourceId', message: 'must be a source id (uuid)' }]);
    await inTransaction(this.dataSource, async (runner) => {
      // The segment's row lock: no membership change commits between the members read and the connection.
      await runner.query(`SELECT 1 FROM segments WHERE workspace_id = $1 AND id = $2 FOR UPDATE`, [workspaceId, segmentId]);
      // A row comes back when the connection is new (inserted) or its options changed (updated).
      const changed = await rows<{ inserted: boolean }>(
        runner,
        `INSERT INTO segment_destinations (workspace_id, segment_id, source_id, options) VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (segment_id, source_id) DO UPDATE SET options = EXCLUDED.options, attempts = 0, next_attempt_at = now()
           WHERE segment_destinations.options IS DISTINCT FROM EXCLUDED.options
         RETURNING (xmax = 0) AS inserted`,
        [workspaceId, segmentId, sourceId, JSON.stringify(options)],
      );
      if (!changed.length) return;
      if (changed[0]!.inserted) {
        await this.outbox.queueAllMembers(runner, workspaceId, segmentId, sourceId);
        return;
      }
      await this.outbox.forgetConfirmed(runner, workspaceId, segmentId, sourceId);
    });
  }

  /** Disconnects a destination, dropping what was still to be pushed to it; answers whether it was connected. */
  async disconnectDestination(workspaceId: string, segmentId: string, sourceId: string): Promise<boolean> {
    if (!isUuid(sourceId)) return false;
    // Its pending pushes and confirmed members go with it (ON DELETE CASCADE); a push in flight finds it gone.
    const [, removed]: [unknown, number] = await this.dataSource.query(`DELETE FROM segment_destinations WHERE workspace_id = $1 AND segment_id = $2 AND source_id = $3`, [
      workspaceId,
      segmentId,
      sourceId,
    ]);
    return removed > 0;
  }

  /** The destinations connected to a segment, oldest connection first, each with its last push and what it is owed. */
  async destinations(workspaceId: string, segmentId: string): Promise<SegmentDestinationView[]> {
    await this.get(workspaceId, segmentId);
    const found: {
      source_id: string;
      created_at: Date;
      options: Record<string, unknown>;
      last_pushed_at: Date | null;
      last_outcome: 'succeeded' | 'failed' | null;
      last_entered: number | null;
      last_exited: number | null;
      last_synced: number | null;
      last_skipped: number | null;
      last_error: string | null;
      attempts: number;
      next_attempt_at: Date;
      pending: number;
      since: Date | null;
    }[] = await this.dataSource.query(
      `SELECT d.source_id, d.created_at, d.options, d.last_pushed_at, d.last_outcome, d.last_entered, d.last_exited, d.last_synced, d.last_skipped, d.last_error,
              d.attempts, d.next_attempt_at, p.pending, p.since
       FROM segment_destinations d
       CROSS JOIN LATERAL (SELECT count(*)::int AS pending, min(q.queued_at) AS since FROM segment_destination_pending q
                           WHERE q.segment_id = d.segment_id AND q.source_id = d.source_id) p
       WHERE d.workspace_id = $1 AND d.segment_id = $2 ORDER BY d.created_at, d.source_id`,
      [workspaceId, segmentId],
    );
    const iso = (at: Date) => new Date(at).toISOString();
    return found.map((r) => ({
      sourceId: r.source_id,
      connectedAt: iso(r.created_at),
      options: r.options,
      lastPush: r.last_pushed_at
        ? {
            at: iso(r.last_pushed_at),
            outcome: r.last_outcome ?? (r.last_error ? 'failed' : 'succeeded'),
            entered: r.last_entered ?? 0,
            exited: r.last_exited ?? 0,
            synced: r.last_synced ?? 0,
            skipped: r.last_skipped ?? 0,
            error: r.last_error,
          }
        : null,
      pending: { members: r.pending, since: r.since ? iso(r.since) : null },
      nextAttemptAt: r.pending > 0 ? iso(r.next_attempt_at) : null,
      failedAttempts: r.attempts,
    }));
  }

  /** A key asked for must be a handle (the body is not checked by a schema). */
  private checkKey(key: unknown): void {
    if (key !== undefined && (typeof key !== 'string' || !KEY.test(key))) {
      throw new SegmentException('INVALID_SEGMENT', 'the segment key is invalid', [{ field: 'key', message: 'must be 1 to 100 lower-case letters, digits, - or _, starting with a letter or digit' }]);
    }
  }

  /** A unique violation on the key (two writers took the same one) as a field error. */
  private keyTaken(error: unknown, key: string): never {
    if (isKeyTaken(error, 'segments')) {
      throw new SegmentException('INVALID_SEGMENT', `the segment key ${key} is taken`, [{ field: 'key', message: 'another segment of the workspace has this key' }]);
    }
    throw error;
  }

  private checkName(name: unknown): void {
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
      throw new SegmentException('INVALID_SEGMENT', 'a segment needs a name', [{ field: 'name', message: 'must be 1 to 200 characters' }]);
    }
  }
}
