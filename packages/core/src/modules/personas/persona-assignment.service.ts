import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { disableJit, inTransaction, lockWorkspaceProfiles } from '../../engine/database/sql.js';
import { ProfileChangesService, type ProfileChange } from '../profiles/profile-changes.service.js';
import { ProfileFollower } from '../profiles/profile-follower.js';
import { compileSegmentsForProfiles, type CompiledSegment } from '../segments/segment-compiler.js';
import { withPeopleOfAccounts } from '../segments/segment-leaves/account-trait.leaf.js';
import { readsAccountTraits } from '../segments/segment-leaves/segment-leaves.js';
import { isTimeWindowed } from '../segments/segment-validator.js';
import { WebhookOutboxService } from '../webhooks/webhook-outbox.service.js';
import type { PersonaRule } from './persona-definition.js';

/** A profile whose persona changed: to a persona, from one to another, or to none. */
export interface PersonaAssignment {
  profileId: string;
  personaId: string | null;
  previousPersonaId: string | null;
  /** The profile's score for the persona it now has; null with none. */
  score: number | null;
}

export type PersonaAssignmentKind = 'incremental' | 'full' | 'scheduled' | 'deletion';

export interface PersonaAssignmentRun {
  kind: PersonaAssignmentKind;
  /** Profiles scored. */
  evaluated: number;
  /** Profiles whose persona changed (each one a `persona.assigned` event). */
  changed: number;
  durationMs: number;
}

/** A live persona as scoring reads it. */
export interface ScoringPersona {
  id: string;
  rules: PersonaRule[];
  /** numeric, as the driver answers it. */
  min_score: string | number;
}

/** Profiles scored by one statement (and one transaction) of a full run. */
export const PERSONA_ASSIGNMENT_BATCH = 5000;
/** How often the worker re-assigns the workspaces having personas whose rules depend on the clock. */
export const PERSONA_TIME_WINDOW_INTERVAL_MS = 15 * 60_000;
/** How often the worker re-assigns every workspace having personas in full (a safety net under the incremental runs). */
export const PERSONA_FULL_REASSIGN_INTERVAL_MS = 24 * 60 * 60_000;
/** Events per `persona.assigned` emit statement. */
const EMIT_CHUNK = 1000;
/** Scores are compared rounded to this many decimals: equal fractions of different weights tie. */
const SCORE_DECIMALS = 12;

/**
 * One statement that scores `profileIds` against every persona and writes the result: each rule's
 * condition is compiled by the segment compiler (all of them evaluated over the batch, each profile
 * read once); a persona's score is the weight of the rules that hold over its total weight (exact
 * numeric arithmetic); each person gets the persona with the highest score that is above zero and
 * reaches the persona's minimum, ties going to the persona that comes first in `personas` (the oldest).
 * Accounts, merged-away profiles and people matching no persona get none. Only rows whose persona or
 * score changes are written; answers how many profiles were scored and those whose persona changed.
 */
export function compilePersonaAssignment(workspaceId: string, personas: ScoringPersona[], profileIds: string[]): CompiledSegment {
  const conditions = personas.flatMap((persona) => persona.rules.map((rule, i) => ({ id: `${persona.id}/${i}`, definition: rule.condition })));
  // The segment compiler's first parameter is the workspace: so is ours when there is nothing to compile.
  const evaluated = conditions.length ? compileSegmentsForProfiles(workspaceId, conditions, () => undefined, profileIds) : { sql: '', params: [workspaceId] };
  const params = [...evaluated.params];
  const add = (value: unknown) => `$${params.push(value)}`;
  const scoring = conditions.length
    ? `evaluated AS (${evaluated.sql}),
       hits AS (
         SELECT e.id AS profile_id, r.persona, sum(r.weight) FILTER (WHERE r.hit) AS matched, sum(r.weight) AS total
         FROM evaluated e
         CROSS JOIN LATERAL unnest(${add(personas.flatMap((p, j) => p.rules.map(() => j + 1)))}::int[], ${add(personas.flatMap((p) => p.rules.map((r) => r.weight)))}::numeric[],
                                   ARRAY[${conditions.map((_, i) => `e.m${i}`).join(', ')}]::boolean[]) AS r(persona, weight, hit)
         GROUP BY e.id, r.persona),
       scored AS (
         SELECT h.profile_id, c.id AS persona_id, c.ord, round(h.matched / h.total, ${SCORE_DECIMALS}) AS score, c.min_score
         FROM hits h JOIN unnest(${add(personas.map((p) => p.id))}::uuid[], ${add(personas.map((p) => Number(p.min_score)))}::numeric[]) WITH ORDINALITY AS c(id, min_score, ord)
           ON c.ord = h.persona),
       best AS (
         SELECT DISTINCT ON (profile_id) profile_id, persona_id, score FROM scored
         WHERE score > 0 AND score >= min_score ORDER BY profile_id, score DESC, ord)`
    : `best AS (SELECT NULL::uuid AS profile_id, NULL::uuid AS persona_id, NULL::numeric AS score WHERE false)`;
  return {
    sql: `WITH ${scoring},
       target AS (
         SELECT cur.id, cur.persona_id AS previous, b.persona_id, b.score::real AS score, cur.merged_into IS NULL AS live
         FROM profiles cur LEFT JOIN best b ON b.profile_id = cur.id AND cur.kind = 'person' AND cur.merged_into IS NULL
         WHERE cur.workspace_id = $1::uuid AND cur.id IN (SELECT unnest(${add(profileIds)}::uuid[]))),
       changed AS (
         UPDATE profiles p SET persona_id = t.persona_id, persona_score = t.score,
                persona_assigned_at = CASE WHEN t.persona_id IS NULL THEN NULL WHEN t.persona_id IS DISTINCT FROM t.previous THEN now() ELSE p.persona_assigned_at END
         FROM target t
         WHERE p.id = t.id AND (p.persona_id IS DISTINCT FROM t.persona_id OR p.persona_score IS DISTINCT FROM t.score)
         RETURNING p.id, t.previous, p.persona_id, p.persona_score, t.live)
       SELECT (SELECT count(*) FROM target)::int AS evaluated,
              coalesce((SELECT json_agg(json_build_object('profileId', c.id, 'personaId', c.persona_id, 'previousPersonaId', c.previous, 'score', c.persona_score, 'live', c.live) ORDER BY c.id)
                        FROM changed c WHERE c.previous IS DISTINCT FROM c.persona_id), '[]') AS changes`,
    params,
  };
}

/** Whether some rule reads the traits of linked accounts (a change of an account then re-scores its people). */
const readsAccounts = (personas: ScoringPersona[]) => personas.some((p) => p.rules.some((r) => readsAccountTraits(r.condition, () => undefined)));

type Change = PersonaAssignment & { live: boolean };
type Batch = { evaluated: number; changes: Change[] };

/**
 * Keeps each person's best-matching persona current (`profiles.persona_id`, `persona_score`,
 * `persona_assigned_at`), set-based, never one statement per profile:
 * - incremental, after each committed profile change, in the `assign` phase: before segments are
 *   re-evaluated, so that segment leaves on personas read the new assignment in the same fan-out;
 * - full, when a persona is created or changed: the whole workspace in batches of profile ids, each in
 *   its own transaction with the definitions current at that moment; the profiles whose persona changed
 *   are then published (from the `evaluate` phase) so that segments follow;
 * - after a deletion: the persona's profiles get their next best persona, or none;
 * - scheduled, in the worker (`startSchedules`, from `ProfileFollower`): workspaces with clock-dependent
 *   rules every 15 minutes, every workspace with personas in full once a day.
 * Writers are serialized with the ingest by the workspace's profile lock. Every change of a profile's
 * persona is emitted as a `persona.assigned` webhook event once committed.
 */
@Injectable()
export class PersonaAssignmentService extends ProfileFollower {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: ProfileChangesService,
    private readonly outbox: WebhookOutboxService,
  ) {
    super(dataSource, changes, {
      // Before segments are re-evaluated: segment leaves on personas read the new assignment.
      phase: 'assign',
      table: 'personas',
      timeWindowed: { everyMs: PERSONA_TIME_WINDOW_INTERVAL_MS, what: 'persona assignment of clock-dependent rules' },
      full: { everyMs: PERSONA_FULL_REASSIGN_INTERVAL_MS, what: 'full persona assignment' },
    });
  }

  protected async followChange(change: ProfileChange): Promise<void> {
    await this.assignProfiles(change.workspaceId, change.profileIds, change.mergedAway);
  }

  protected runTimeWindowed(): Promise<unknown> {
    return this.reassignTimeWindowed();
  }

  protected runInFull(workspaceId: string): Promise<unknown> {
    return this.reassignAll(workspaceId, { kind: 'scheduled' });
  }

  /**
   * Re-scores these profiles (an ingest batch's changed ones; merged-away ones lose their persona) and
   * answers the assignments that changed. It publishes no profile change: it runs in the `assign` phase
   * of the change being fanned out, whose later phases (segments) read the result.
   */
  async assignProfiles(workspaceId: string, profileIds: string[], mergedAway: string[] = []): Promise<PersonaAssignmentRun & { assignments: PersonaAssignment[] }> {
    const t0 = performance.now();
    const ids = [...new Set([...profileIds, ...mergedAway])];
    if (ids.length === 0) return { kind: 'incremental', evaluated: 0, changed: 0, durationMs: 0, assignments: [] };
    const [{ relevant }]: { relevant: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM personas WHERE workspace_id = $1 AND deleted_at IS NULL)
           OR EXISTS (SELECT 1 FROM profiles WHERE workspace_id = $1 AND persona_id IS NOT NULL) AS relevant`,
      [workspaceId],
    );
    const assignments: PersonaAssignment[] = [];
    let evaluated = 0;
    if (relevant) {
      for (let start = 0; start < ids.length; start += PERSONA_ASSIGNMENT_BATCH) {
        const chunk = ids.slice(start, start + PERSONA_ASSIGNMENT_BATCH);
        const batch = await this.inBatch(workspaceId, async (runner, personas) => (readsAccounts(personas) ? withPeopleOfAccounts(runner, workspaceId, chunk) : chunk));
        evaluated += batch?.evaluated ?? 0;
        const changes = batch?.changes ?? [];
        await this.announce(workspaceId, changes, false);
        assignments.push(...changes.map(({ live: _live, ...a }) => a));
      }
    }
    return { kind: 'incremental', evaluated, changed: assignments.length, durationMs: Math.round(performance.now() - t0), assignments };
  }

  /**
   * Re-assigns every profile of the workspace: live profiles in the order they last changed (a profile
   * changed during the run moves on and is met again, so none is missed), then those still holding a
   * persona they should not (merged away). Segments follow through the published change. `batchSize`:
   * profiles per statement (and transaction), default PERSONA_ASSIGNMENT_BATCH.
   */
  async reassignAll(workspaceId: string, options: { kind?: 'full' | 'scheduled'; batchSize?: number } = {}): Promise<PersonaAssignmentRun> {
    const size = options.batchSize ?? PERSONA_ASSIGNMENT_BATCH;
    let cursor: [string, string] | undefined;
    let exhausted = false;
    return this.inBatches(workspaceId, options.kind ?? 'full', async (runner, personas) => {
      if (personas.length === 0) {
        // Nothing to score: only the profiles still holding a persona change (each batch clears them all).
        const holders: { id: string }[] = await runner.query(`SELECT id FROM profiles WHERE workspace_id = $1 AND persona_id IS NOT NULL LIMIT $2`, [workspaceId, size]);
        return holders.length ? holders.map((r) => r.id) : undefined;
      }
      if (exhausted) return undefined;
      const rows: { id: string; at: string }[] = await runner.query(
        `SELECT id, updated_at::text AS at FROM profiles
         WHERE workspace_id = $1 AND merged_into IS NULL ${cursor ? 'AND (updated_at, id) > ($3::timestamptz, $4::uuid)' : ''}
         ORDER BY updated_at, id LIMIT $2`,
        cursor ? [workspaceId, size, ...cursor] : [workspaceId, size],
      );
      const ids = rows.map((r) => r.id);
      if (rows.length < size) {
        exhausted = true;
        const strays: { id: string }[] = await runner.query(`SELECT id FROM profiles WHERE workspace_id = $1 AND persona_id IS NOT NULL AND merged_into IS NOT NULL`, [workspaceId]);
        ids.push(...strays.map((r) => r.id));
      }
      const last = rows[rows.length - 1];
      if (last) cursor = [last.at, last.id];
      return ids.length ? ids : undefined;
    });
  }

  /** After a persona was deleted: each of its profiles gets its next best persona, or none. */
  async reassignMembersOf(workspaceId: string, personaId: string): Promise<PersonaAssignmentRun> {
    // The persona is no candidate any more, so each batch moves every profile it reads off it.
    return this.inBatches(workspaceId, 'deletion', async (runner) => {
      const rows: { id: string }[] = await runner.query(`SELECT id FROM profiles WHERE workspace_id = $1 AND persona_id = $2 LIMIT $3`, [workspaceId, personaId, PERSONA_ASSIGNMENT_BATCH]);
      return rows.length ? rows.map((r) => r.id) : undefined;
    });
  }

  /** Re-assigns the workspaces (one, or all) having a persona whose rules depend on the clock (event windows, within_last…). */
  async reassignTimeWindowed(workspaceId?: string): Promise<PersonaAssignmentRun[]> {
    const rows: { workspace_id: string; rules: PersonaRule[] }[] = await this.dataSource.query(
      `SELECT workspace_id, rules FROM personas WHERE deleted_at IS NULL AND ($1::uuid IS NULL OR workspace_id = $1::uuid)`,
      [workspaceId ?? null],
    );
    const windowed = new Set(rows.filter((r) => r.rules.some((rule) => isTimeWindowed(rule.condition, () => undefined))).map((r) => r.workspace_id));
    const runs: PersonaAssignmentRun[] = [];
    for (const id of windowed) runs.push(await this.reassignAll(id, { kind: 'scheduled' }));
    return runs;
  }

  /**
   * Batches until `select` answers no ids, each in its own transaction; after each commit, the
   * changes are emitted and published so that segments follow. Stops early if a batch changes nothing
   * it was meant to move (a guard for the loops that rely on progress).
   */
  private async inBatches(
    workspaceId: string,
    kind: PersonaAssignmentKind,
    select: (runner: QueryRunner, personas: ScoringPersona[]) => Promise<string[] | undefined>,
  ): Promise<PersonaAssignmentRun> {
    const t0 = performance.now();
    let evaluated = 0;
    let changed = 0;
    for (;;) {
      const batch = await this.inBatch(workspaceId, select);
      if (!batch) break;
      evaluated += batch.evaluated;
      changed += batch.changes.length;
      await this.announce(workspaceId, batch.changes, true);
      if (kind === 'deletion' && batch.changes.length === 0) break;
    }
    return { kind, evaluated, changed, durationMs: Math.round(performance.now() - t0) };
  }

  /** One transaction: the workspace's profiles locked, the live personas read, the selected profiles scored and written. */
  private async inBatch(workspaceId: string, select: (runner: QueryRunner, personas: ScoringPersona[]) => Promise<string[] | undefined>): Promise<Batch | undefined> {
    return inTransaction(this.dataSource, async (runner) => {
      await lockWorkspaceProfiles(runner, workspaceId);
      // A short statement, wide with conditions.
      await disableJit(runner);
      const personas: ScoringPersona[] = await runner.query(
        `SELECT id, rules, min_score FROM personas WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
        [workspaceId],
      );
      const ids = await select(runner, personas);
      if (!ids || ids.length === 0) return undefined;
      const compiled = compilePersonaAssignment(workspaceId, personas, ids);
      const [row]: { evaluated: number; changes: Change[] }[] = await runner.query(compiled.sql, compiled.params);
      return { evaluated: row!.evaluated, changes: row!.changes };
    });
  }

  /**
   * After commit: one `persona.assigned` event per change; and, when the change did not come from a
   * profile change being fanned out already, the live profiles published to the later phases.
   */
  private async announce(workspaceId: string, changes: Change[], publish: boolean): Promise<void> {
    if (changes.length === 0) return;
    try {
      for (let start = 0; start < changes.length; start += EMIT_CHUNK) {
        const events = changes.slice(start, start + EMIT_CHUNK).map((c) => ({ profileId: c.profileId, personaId: c.personaId, previousPersonaId: c.previousPersonaId, score: c.score }));
        await this.outbox.emit(workspaceId, 'persona.assigned', events);
      }
    } catch (error) {
      // The assignments are committed and stand; the profiles' persona columns say where each one is.
      this.logger.error({ err: error, workspaceId, changes: changes.length }, 'queueing persona.assigned events failed');
    }
    if (!publish) return;
    const live = changes.filter((c) => c.live).map((c) => c.profileId);
    if (live.length) await this.changes.publish({ workspaceId, profileIds: live, mergedAway: [] }, { from: 'evaluate' });
  }
}
