import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { disableJit, inTransaction } from '../../engine/database/sql.js';
import { ProfileChangesService, type ProfileChange, type RecomputedValues } from '../profiles/profile-changes.service.js';
import { ProfileFollower } from '../profiles/profile-follower.js';
import { SegmentCatalogService, type ObservedTypes } from './segment-catalog.service.js';
import { compileSegment, compileSegmentsForProfiles } from './segment-compiler.js';
import type { SegmentCondition } from './segment-definition.js';
import { withPeopleOfAccounts } from './segment-leaves/account-trait.leaf.js';
import { readsAccountTraits } from './segment-leaves/segment-leaves.js';
import { SEGMENT_DESTINATION_DISPATCHER, type SegmentDestinationDispatcher } from './segment-destination-dispatcher.js';
import { SegmentsService, toSegmentView } from './segments.service.js';
import { queueWebhookDeliveries } from '../webhooks/webhook-outbox.service.js';
import { queueDestinationPushes } from './segment-destination-outbox.service.js';

export type SegmentRunKind = 'full' | 'incremental' | 'scheduled';

export interface SegmentRunResult {
  segmentId: string;
  kind: SegmentRunKind;
  size: number;
  entered: number;
  exited: number;
  /** For an incremental run: the whole batch's time (all its segments were evaluated together). */
  durationMs: number;
}

/** How often the worker recomputes the segments that depend on the clock. */
export const TIME_WINDOW_RECOMPUTE_INTERVAL_MS = 15 * 60_000;
/** How often the worker recomputes every segment in full (a safety net under the incremental runs). */
export const FULL_RECOMPUTE_INTERVAL_MS = 24 * 60 * 60_000;

type SegmentRow = Parameters<typeof toSegmentView>[0] & { workspace_id: string; destinations: string[] };

const SEGMENT_COLUMNS = `s.*, coalesce((SELECT array_agg(d.source_id::text ORDER BY d.source_id) FROM segment_destinations d WHERE d.segment_id = s.id), '{}') AS destinations`;

/**
 * What a membership change owes webhook subscribers: one `segment.entered` / `segment.exited` event per
 * logged row, queued in the statement that logs it (its id derived from the log row's, so it is the same
 * event for every subscription). `$1` is the workspace of both statements that use it.
 */
const LOGGED_COLUMNS = `id, segment_id, profile_id, type, at`;
const NOTIFIED = `notified AS (
         ${queueWebhookDeliveries(
           `(SELECT md5('segment-membership-event:' || l.id)::uuid AS event_id, l.type, l.at AS created_at,
                    jsonb_build_object('segmentId', l.segment_id, 'segmentKey', sk.key, 'profileId', l.profile_id, 'at', l.at) AS data
             FROM logged l JOIN segments sk ON sk.id = l.segment_id)`,
           '$1',
         )})`;

/** Ids of the segments a definition refers to, directly. */
const referencesOf = (definition: SegmentCondition) =>
  new Set(JSON.stringify(definition).match(/"segment":"[0-9a-f-]{36}"/g)?.map((m) => m.slice(11, 47)) ?? []);

/**
 * Keeps materialized membership current. A run computes which profiles match, writes only the
 * difference (inserted and deleted memberships) and appends one segment.entered / segment.exited row
 * per change, in one statement that also queues what the change owes webhook subscribers and each
 * connected destination (the push outbox: a crash after the commit loses no push); then records the
 * run and its size, and tells the destination dispatcher, once committed, that pushes are waiting. Runs:
 * - incremental, after each committed profile change: every segment of the workspace evaluated for the
 *   changed profiles only (and the people of changed accounts, for segments on account traits), all
 *   segments in one statement that reads each profile once;
 * - scheduled, in the worker (`startSchedules`, from `ProfileFollower`): time-windowed segments every
 *   15 minutes, every segment in full once a day;
 * - full, on demand.
 * Writers of a segment's membership are serialized by a lock on its row.
 */
@Injectable()
export class SegmentMembershipService extends ProfileFollower {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly segments: SegmentsService,
    private readonly catalog: SegmentCatalogService,
    changes: ProfileChangesService,
    @Inject(SEGMENT_DESTINATION_DISPATCHER) private readonly dispatcher: SegmentDestinationDispatcher,
  ) {
    super(dataSource, changes, {
      table: 'segments',
      timeWindowed: { everyMs: TIME_WINDOW_RECOMPUTE_INTERVAL_MS, what: 'recompute of time-windowed segments' },
      full: { everyMs: FULL_RECOMPUTE_INTERVAL_MS, what: 'full recompute of segments' },
    });
  }

  protected async followChange(change: ProfileChange): Promise<void> {
    await this.recomputeProfiles(change.workspaceId, change.profileIds, change.mergedAway, change.recomputed);
  }

  protected runTimeWindowed(): Promise<unknown> {
    return this.recomputeTimeWindowed();
  }

  protected runInFull(workspaceId: string): Promise<unknown> {
    return this.recomputeAll(workspaceId);
  }

  /** Full recompute of one segment, and of every segment that refers to it (they inline its definition). */
  async recompute(workspaceId: string, segmentId: string): Promise<SegmentRunResult[]> {
    await this.segments.get(workspaceId, segmentId);
    const rows = await this.load(workspaceId);
    const types = (await this.catalog.catalog(workspaceId)).types;
    const results: SegmentRunResult[] = [];
    for (const row of dependentsOf(segmentId, rows)) results.push(await this.runFull(row.id, workspaceId, 'full', types));
    return results;
  }

  /** Full recompute of every segment of a workspace (the observed-types catalog is rebuilt first). */
  async recomputeAll(workspaceId: string): Promise<SegmentRunResult[]> {
    await this.catalog.rebuild(workspaceId);
    const types = (await this.catalog.catalog(workspaceId)).types;
    const results: SegmentRunResult[] = [];
    for (const row of await this.load(workspaceId)) results.push(await this.runFull(row.id, workspaceId, 'full', types));
    return results;
  }

  /** Recomputes the segments that depend on the clock (event windows, within_last…), of one workspace or of all. */
  async recomputeTimeWindowed(workspaceId?: string): Promise<SegmentRunResult[]> {
    const workspaces: { workspace_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT workspace_id FROM segments WHERE deleted_at IS NULL AND time_windowed AND ($1::uuid IS NULL OR workspace_id = $1::uuid)`,
      [workspaceId ?? null],
    );
    const results: SegmentRunResult[] = [];
    for (const { workspace_id } of workspaces) {
      const types = (await this.catalog.catalog(workspace_id)).types;
      for (const row of (await this.load(workspace_id)).filter((r) => r.time_windowed)) results.push(await this.runFull(row.id, workspace_id, 'scheduled', types));
    }
    return results;
  }

  /**
   * Re-evaluates every segment of the workspace for the given profiles only, in one transaction;
   * merged-away profiles leave every segment. Answers a result per segment whose membership changed.
   */
  async recomputeProfiles(workspaceId: string, profileIds: string[], mergedAway: string[] = [], recomputed?: readonly RecomputedValues[]): Promise<SegmentRunResult[]> {
    const changed = [...new Set([...profileIds, ...mergedAway])];
    if (changed.length === 0) return [];
    const started = new Date();
    const t0 = performance.now();
    // The catalog of observed types follows the data, for the next full runs and validations (from
    // the values the change wrote, when it carries them). The per-profile evaluation below does not
    // read it, so it grows on another connection meanwhile.
    const observed = recomputed ? this.catalog.observeValues(workspaceId, recomputed) : this.catalog.observe(workspaceId, profileIds);
    const evaluated = inTransaction(this.dataSource, async (runner) => {
      // A batch's statement is short but wide: a column per segment.
      await disableJit(runner);
      // The current definitions, each segment's row locked (in id order: no deadlock between writers).
      const rows: SegmentRow[] = await runner.query(`SELECT ${SEGMENT_COLUMNS} FROM segments s WHERE s.workspace_id = $1 AND s.deleted_at IS NULL ORDER BY s.id FOR UPDATE`, [workspaceId]);
      if (rows.length === 0) return undefined;
      const definitions = new Map(rows.map((r) => [r.id, r.definition]));
      const ids = rows.some((r) => readsAccountTraits(r.definition, (id) => definitions.get(id))) ? await withPeopleOfAccounts(runner, workspaceId, changed) : changed;
      const diffs = await this.applyIncremental(runner, workspaceId, rows, definitions, ids);
      const durationMs = Math.round(performance.now() - t0);
      const sizes = await this.record(runner, workspaceId, rows.map((r) => r.id), diffs, 'incremental', started, durationMs);
      return { rows, diffs, sizes, durationMs };
    });
    const [outcome] = await Promise.all([evaluated, observed]);
    if (!outcome) return [];
    const results: SegmentRunResult[] = [];
    for (const row of outcome.rows) {
      const diff = outcome.diffs.get(row.id);
      if (!diff) continue;
      const size = outcome.sizes.get(row.id)!;
      await this.dispatch(row, size, diff);
      results.push({ segmentId: row.id, kind: 'incremental', size, entered: diff.entered, exited: diff.exited, durationMs: outcome.durationMs });
    }
    return results;
  }

  private async load(workspaceId: string): Promise<SegmentRow[]> {
    return this.dataSource.query(`SELECT ${SEGMENT_COLUMNS} FROM segments s WHERE s.workspace_id = $1 AND s.deleted_at IS NULL ORDER BY s.created_at, s.id`, [workspaceId]);
  }

  /** One statement: every segment evaluated for `ids`, memberships inserted and deleted, changes logged; the diff per segment. */
  private async applyIncremental(
    runner: QueryRunner,
    workspaceId: string,
    rows: SegmentRow[],
    definitions: Map<string, SegmentCondition>,
    ids: string[],
  ): Promise<Map<string, Diff>> {
    const compiled = compileSegmentsForProfiles(workspaceId, rows, (id) => definitions.get(id), ids);
    const params = [...compiled.params];
    const add = (value: unknown) => `$${params.push(value)}`;
    const segmentIds = add(rows.map((r) => r.id));
    const batch = add(ids);
    const withDestinations = add(rows.filter((r) => r.destinations.length > 0).map((r) => r.id));
    const found: { segment_id: string; entered: number; exited: number; entered_ids: string[] | null; exited_ids: string[] | null }[] = await runner.query(
      `WITH evaluated AS (${compiled.sql}),
       matched AS (
         SELECT s.segment_id, e.id AS profile_id FROM evaluated e
         CROSS JOIN LATERAL unnest(${segmentIds}::uuid[], ARRAY[${rows.map((_, i) => `e.m${i}`).join(', ')}]) AS s(segment_id, hit) WHERE s.hit),
       current AS (
         -- The batch's memberships, looked up profile by profile (a plan that holds whatever the statistics
         -- say), from the (profile_id, segment_id) index alone.
         SELECT cur.segment_id, cur.profile_id FROM unnest(${batch}::uuid[]) AS c(id)
         CROSS JOIN LATERAL (SELECT m.segment_id, m.profile_id FROM segment_memberships m WHERE m.profile_id = c.id OFFSET 0) cur
         WHERE cur.segment_id = ANY(${segmentIds}::uuid[])),
       entered AS (
         INSERT INTO segment_memberships (workspace_id, segment_id, profile_id)
         SELECT $1::uuid, x.segment_id, x.profile_id FROM matched x
         WHERE NOT EXISTS (SELECT 1 FROM current c WHERE c.segment_id = x.segment_id AND c.profile_id = x.profile_id)
         ON CONFLICT DO NOTHING RETURNING segment_id, profile_id),
       exited AS (
         DELETE FROM segment_memberships m USING current c
         WHERE m.segment_id = c.segment_id AND m.profile_id = c.profile_id
           AND NOT EXISTS (SELECT 1 FROM matched x WHERE x.segment_id = c.segment_id AND x.profile_id = c.profile_id)
         RETURNING m.segment_id, m.profile_id),
       changes AS (
         SELECT segment_id, profile_id, 'segment.entered' AS type FROM entered
         UNION ALL SELECT segment_id, profile_id, 'segment.exited' FROM exited),
       logged AS (
         INSERT INTO segment_membership_events (workspace_id, segment_id, profile_id, type)
         SELECT $1::uuid, segment_id, profile_id, type FROM changes RETURNING ${LOGGED_COLUMNS}),
       ${NOTIFIED},
       queued AS (${queueDestinationPushes('changes', '$1')})
       SELECT segment_id, count(*) FILTER (WHERE type = 'segment.entered')::int AS entered, count(*) FILTER (WHERE type = 'segment.exited')::int AS exited,
              array_agg(profile_id) FILTER (WHERE type = 'segment.entered' AND segment_id = ANY(${withDestinations}::uuid[])) AS entered_ids,
              array_agg(profile_id) FILTER (WHERE type = 'segment.exited' AND segment_id = ANY(${withDestinations}::uuid[])) AS exited_ids
       FROM changes GROUP BY segment_id`,
      params,
    );
    return new Map(found.map((f) => [f.segment_id, { entered: f.entered, exited: f.exited, enteredIds: f.entered_ids ?? [], exitedIds: f.exited_ids ?? [] }]));
  }

  /**
   * Sizes, runs and size history after a run, in one statement. A full run is always recorded; an
   * incremental one only for the segments it changed (an ingest batch that moves nobody leaves no trace).
   */
  private async record(
    runner: QueryRunner,
    workspaceId: string,
    segmentIds: string[],
    diffs: Map<string, Diff>,
    kind: SegmentRunKind,
    started: Date,
    durationMs: number,
    fullSize?: number,
  ): Promise<Map<string, number>> {
    const diff = segmentIds.map((id) => ({ id, entered: diffs.get(id)?.entered ?? 0, exited: diffs.get(id)?.exited ?? 0 }));
    const rows: { id: string; size: number }[] = await runner.query(
      `WITH diff AS (SELECT * FROM json_to_recordset($2::json) AS d(id uuid, entered int, exited int)),
       sized AS (
         UPDATE segments s SET size = coalesce($6::int, s.size + d.entered - d.exited), computed_at = now()
         FROM diff d WHERE s.id = d.id AND s.workspace_id = $1
         RETURNING s.id, s.size, d.entered, d.exited),
       runs AS (
         INSERT INTO segment_runs (workspace_id, segment_id, kind, started_at, duration_ms, size, entered, exited)
         SELECT $1, id, $3::text, $4, $5, size, entered, exited FROM sized WHERE $3::text <> 'incremental' OR entered + exited > 0),
       history AS (
         INSERT INTO segment_size_history (workspace_id, segment_id, at, size)
         SELECT $1, id, now(), size FROM sized WHERE $3::text <> 'incremental' OR entered <> exited)
       SELECT id, size FROM sized`,
      [workspaceId, JSON.stringify(diff), kind, started, durationMs, fullSize ?? null],
    );
    return new Map(rows.map((r) => [r.id, r.size]));
  }

  /** One segment over the whole workspace, in its own transaction, its row locked. */
  private async runFull(segmentId: string, workspaceId: string, kind: SegmentRunKind, types: ObservedTypes): Promise<SegmentRunResult> {
    const started = new Date();
    const t0 = performance.now();
    const outcome = await inTransaction(this.dataSource, async (runner) => {
      const [row]: SegmentRow[] = await runner.query(`SELECT ${SEGMENT_COLUMNS} FROM segments s WHERE s.id = $1 AND s.workspace_id = $2 AND s.deleted_at IS NULL FOR UPDATE`, [segmentId, workspaceId]);
      if (!row) return undefined;
      const definitions = new Map(((await runner.query(`SELECT id, definition FROM segments WHERE workspace_id = $1 AND deleted_at IS NULL`, [workspaceId])) as SegmentRow[]).map((r) => [r.id, r.definition]));
      const compiled = compileSegment(workspaceId, row.definition, (id) => definitions.get(id), { selfId: row.id, types });
      const params = [...compiled.params];
      const add = (value: unknown) => `$${params.push(value)}`;
      const seg = add(row.id);
      const wantIds = row.destinations.length > 0;
      const [result]: { entered: number; exited: number; matched: number; entered_ids: string[] | null; exited_ids: string[] | null }[] = await runner.query(
        `WITH matched AS (${compiled.sql}),
         entered AS (
           INSERT INTO segment_memberships (workspace_id, segment_id, profile_id)
           SELECT $1::uuid, ${seg}::uuid, id FROM matched ON CONFLICT DO NOTHING RETURNING profile_id),
         exited AS (
           DELETE FROM segment_memberships m WHERE m.segment_id = ${seg}::uuid
           AND NOT EXISTS (SELECT 1 FROM matched x WHERE x.id = m.profile_id) RETURNING m.profile_id),
         logged AS (
           INSERT INTO segment_membership_events (workspace_id, segment_id, profile_id, type)
           SELECT $1::uuid, ${seg}::uuid, profile_id, 'segment.entered' FROM entered
           UNION ALL SELECT $1::uuid, ${seg}::uuid, profile_id, 'segment.exited' FROM exited
           RETURNING ${LOGGED_COLUMNS}),
         ${NOTIFIED},
         queued AS (${queueDestinationPushes(`(SELECT ${seg}::uuid AS segment_id, profile_id FROM entered UNION ALL SELECT ${seg}::uuid, profile_id FROM exited)`, '$1')})
         SELECT (SELECT count(*) FROM entered)::int AS entered, (SELECT count(*) FROM exited)::int AS exited,
                (SELECT count(*) FROM matched)::int AS matched
                ${wantIds ? ', ARRAY(SELECT profile_id FROM entered) AS entered_ids, ARRAY(SELECT profile_id FROM exited) AS exited_ids' : ''}`,
        params,
      );
      const diff: Diff = { entered: result!.entered, exited: result!.exited, enteredIds: result!.entered_ids ?? [], exitedIds: result!.exited_ids ?? [] };
      const durationMs = Math.round(performance.now() - t0);
      await this.record(runner, workspaceId, [row.id], new Map([[row.id, diff]]), kind, started, durationMs, result!.matched);
      return { row, diff, size: result!.matched, durationMs };
    });
    if (!outcome) return { segmentId, kind, size: 0, entered: 0, exited: 0, durationMs: Math.round(performance.now() - t0) };
    await this.dispatch(outcome.row, outcome.size, outcome.diff);
    return { segmentId, kind, size: outcome.size, entered: outcome.diff.entered, exited: outcome.diff.exited, durationMs: outcome.durationMs };
  }

  /** Hands a committed diff to the destinations of the segment, if it has any and something changed. */
  private async dispatch(row: SegmentRow, size: number, diff: Diff): Promise<void> {
    if (row.destinations.length === 0 || diff.entered + diff.exited === 0) return;
    try {
      await this.dispatcher.dispatch(row.workspace_id, { ...toSegmentView({ ...row, size }), destinations: row.destinations }, { entered: diff.enteredIds, exited: diff.exitedIds });
    } catch (error) {
      // The push is queued in the outbox already: a dispatcher delivers it whatever happened here.
      this.logger.error({ err: error, segmentId: row.id }, 'segment destination dispatch failed');
    }
  }
}

interface Diff {
  entered: number;
  exited: number;
  enteredIds: string[];
  exitedIds: string[];
}

/** The segment and every segment referring to it, directly or not. */
function dependentsOf(segmentId: string, rows: SegmentRow[]): SegmentRow[] {
  const affected = new Set([segmentId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const row of rows) {
      if (!affected.has(row.id) && [...referencesOf(row.definition)].some((id) => affected.has(id))) {
        affected.add(row.id);
        grew = true;
      }
    }
  }
  // Inlining makes each run independent of the others' results, so creation order is fine.
  return rows.filter((r) => affected.has(r.id));
}
