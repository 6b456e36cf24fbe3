import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { inTransaction } from '../../engine/database/sql.js';

/**
 * What a segment membership writer adds to its statement so that each change is owed to every
 * destination of the segment: `changes` names a relation (a CTE of the same statement) with the columns
 * `segment_id uuid, profile_id uuid`; `workspace` is the placeholder of the workspace id. A profile
 * already waiting keeps its row and its `queued_at` and takes a new `seq` (the change is coalesced; a
 * push in flight that read the older row leaves it behind).
 */
export function queueDestinationPushes(changes: string, workspace: string): string {
  return `INSERT INTO segment_destination_pending (workspace_id, segment_id, source_id, profile_id)
       SELECT ${workspace}::uuid, c.segment_id, d.source_id, c.profile_id
       FROM ${changes} c JOIN segment_destinations d ON d.segment_id = c.segment_id
       ON CONFLICT (segment_id, source_id, profile_id) DO UPDATE SET seq = nextval('segment_destination_pending_seq')`;
}

/**
 * Queues, in the caller's transaction, a push of these profiles to every destination of every segment
 * they are a member of: their consent changed, and a destination that needs it must learn who may now
 * be sent and who must be removed (what is owed is computed at push time).
 */
export async function queueConsentPushes(runner: QueryRunner, workspaceId: string, profileIds: string[]): Promise<void> {
  if (profileIds.length === 0) return;
  await runner.query(
    `INSERT INTO segment_destination_pending (workspace_id, segment_id, source_id, profile_id)
     SELECT $1, m.segment_id, d.source_id, m.profile_id
     FROM segment_memberships m JOIN segment_destinations d ON d.segment_id = m.segment_id
     WHERE m.workspace_id = $1 AND m.profile_id = ANY($2::uuid[])
     ON CONFLICT (segment_id, source_id, profile_id) DO UPDATE SET seq = nextval('segment_destination_pending_seq')`,
    [workspaceId, profileIds],
  );
}

/** A connection (segment, destination source) reserved for one push by the process that claimed it. */
export interface ClaimedConnection {
  workspaceId: string;
  segment: { id: string; name: string; key: string };
  sourceId: string;
  leaseId: string;
  /** Consecutive failed pushes before this one. */
  attempts: number;
  /** The connection's options when it was claimed, as stored (the connector parses them). */
  options: Record<string, unknown>;
}

/** What a push owes the destination, computed from the current membership and what it confirmed holding. */
export interface OwedPush {
  entered: string[];
  exited: string[];
  /** The pending rows read (profile, seq): a success clears exactly these. */
  read: { profileId: string; seq: string }[];
}

/** A push's outcome as the connection keeps it. */
export type PushOutcome =
  | { ok: true; entered: number; exited: number; synced: number; skipped: number }
  | { ok: false; entered: number; exited: number; error: string; retryInMs: number };

/** The outbox per connection with something waiting, for the metrics. */
export interface PendingByConnection {
  workspaceId: string;
  segmentId: string;
  sourceId: string;
  members: number;
  oldestSeconds: number;
}

const CLAIMED_COLUMNS = `d.workspace_id, d.segment_id, d.source_id, d.lease_id, d.attempts, d.options`;

/**
 * The durable outbox of segment pushes (`segment_destination_pending`) and what each destination
 * confirmed holding (`segment_destination_members`). Membership writers queue changes in their own
 * statement (`queueDestinationPushes`); a pusher claims a connection under a lease (SKIP LOCKED: any
 * number of processes share the outbox and none pushes a connection another is pushing), reads what is
 * owed, hands it to the destination outside any transaction, then confirms or schedules a retry.
 * `signals` emits `queued` when this process queued something, to wake a pusher of the same process.
 */
@Injectable()
export class SegmentDestinationOutboxService {
  readonly signals = new EventEmitter();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.signals.setMaxListeners(0);
  }

  /**
   * Claims up to `limit` connections that have pending members, whose next attempt is due and that no
   * process holds; each is leased for `leaseSeconds` (a crashed pusher's connection is free after).
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<ClaimedConnection[]> {
    return this.claim(`d.next_attempt_at <= now()`, [], limit, leaseSeconds);
  }

  /**
   * Claims the connections of a segment (or one of them) with pending members now, whatever their retry
   * schedule, but those `excluding` (sources already tried by the caller).
   */
  async claimNow(workspaceId: string, segmentId: string, sourceId: string | undefined, excluding: string[], leaseSeconds: number): Promise<ClaimedConnection[]> {
    return this.claim(
      `d.workspace_id = $3 AND d.segment_id = $4 AND ($5::uuid IS NULL OR d.source_id = $5::uuid) AND NOT (d.source_id = ANY($6::uuid[]))`,
      [workspaceId, segmentId, sourceId ?? null, excluding],
      1000,
      leaseSeconds,
    );
  }

  private async claim(where: string, params: unknown[], limit: number, leaseSeconds: number): Promise<ClaimedConnection[]> {
    // UPDATE … RETURNING inside a WITH: TypeORM hands back the rows of a SELECT as they are.
    const claimed: { workspace_id: string; segment_id: string; source_id: string; lease_id: string; attempts: number; options: Record<string, unknown>; name: string; key: string }[] = await this.dataSource.query(
      `WITH due AS (
         SELECT d.segment_id, d.source_id FROM segment_destinations d
         WHERE ${where} AND (d.leased_until IS NULL OR d.leased_until <= now())
           AND EXISTS (SELECT 1 FROM segment_destination_pending p WHERE p.segment_id = d.segment_id AND p.source_id = d.source_id)
         ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED),
       claimed AS (
         UPDATE segment_destinations d SET lease_id = gen_random_uuid(), leased_until = now() + make_interval(secs => $2)
         FROM due WHERE d.segment_id = due.segment_id AND d.source_id = due.source_id
         RETURNING ${CLAIMED_COLUMNS})
       SELECT c.*, s.name, s.key FROM claimed c JOIN segments s ON s.id = c.segment_id AND s.deleted_at IS NULL`,
      [limit, leaseSeconds, ...params],
    );
    return claimed.map((c) => ({
      workspaceId: c.workspace_id,
      segment: { id: c.segment_id, name: c.name, key: c.key },
      sourceId: c.source_id,
      leaseId: c.lease_id,
      attempts: c.attempts,
      options: c.options,
    }));
  }

  /**
   * What the connection is owed, for up to `limit` of its pending members (oldest change first), read in
   * one statement (one snapshot of membership and outbox): who is a member now and was not confirmed
   * (entered), who was confirmed and is a member no more (exited). A member that entered and left
   * while the destination was failing is owed nothing. With `consentPurpose` (the destination's), a
   * member counts only while their latest statement for that purpose grants it (none: not granted):
   * one who never granted it is never sent, one who revokes it exits.
   */
  async owed(connection: ClaimedConnection, limit: number, consentPurpose?: string): Promise<OwedPush> {
    const pending: { profile_id: string; seq: string; member: boolean; confirmed: boolean }[] = await this.dataSource.query(
      `SELECT p.profile_id, p.seq::text AS seq,
              EXISTS (SELECT 1 FROM segment_memberships m WHERE m.segment_id = p.segment_id AND m.profile_id = p.profile_id)
                AND ($4::text IS NULL OR coalesce((SELECT c.granted FROM consents c WHERE c.profile_id = p.profile_id AND c.purpose = $4::text ORDER BY c.at DESC, c.granted LIMIT 1), false)) AS member,
              EXISTS (SELECT 1 FROM segment_destination_members c WHERE c.segment_id = p.segment_id AND c.source_id = p.source_id AND c.profile_id = p.profile_id) AS confirmed
       FROM segment_destination_pending p WHERE p.segment_id = $1 AND p.source_id = $2 ORDER BY p.seq LIMIT $3`,
      [connection.segment.id, connection.sourceId, limit, consentPurpose ?? null],
    );
    return {
      entered: pending.filter((p) => p.member && !p.confirmed).map((p) => p.profile_id),
      exited: pending.filter((p) => !p.member && p.confirmed).map((p) => p.profile_id),
      read: pending.map((p) => ({ profileId: p.profile_id, seq: p.seq })),
    };
  }

  /**
   * Ends a push, in one transaction: on success what the destination now holds is confirmed and the
   * pending rows read are cleared (a member changed since keeps its newer row); on failure the next
   * attempt is scheduled. The lease is released either way, and nothing is done when the destination was
   * disconnected meanwhile (its pending pushes are gone with it), nor when it was connected again with
   * other options meanwhile (what was pushed went under the old ones; the whole membership is owed
   * again). `outcome` undefined: nothing was owed.
   */
  async settle(connection: ClaimedConnection, owed: OwedPush, outcome: PushOutcome | undefined): Promise<void> {
    const pair = [connection.segment.id, connection.sourceId];
    await inTransaction(this.dataSource, async (runner) => {
      const [held]: { lease_id: string | null; same_options: boolean }[] = await runner.query(
        `SELECT lease_id, options = $3::jsonb AS same_options FROM segment_destinations WHERE segment_id = $1 AND source_id = $2 FOR UPDATE`,
        [...pair, JSON.stringify(connection.options)],
      );
      if (!held) return;
      const ours = held.lease_id === connection.leaseId;
      if (!held.same_options) {
        if (ours) await runner.query(`UPDATE segment_destinations SET next_attempt_at = now(), lease_id = NULL, leased_until = NULL WHERE segment_id = $1 AND source_id = $2`, pair);
        return;
      }
      if (outcome && !outcome.ok) {
        if (!ours) return;
        await runner.query(
          `UPDATE segment_destinations SET last_pushed_at = now(), last_outcome = 'failed', last_entered = $3, last_exited = $4, last_synced = 0, last_skipped = 0,
             last_error = $5, attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $6), lease_id = NULL, leased_until = NULL
           WHERE segment_id = $1 AND source_id = $2`,
          [...pair, outcome.entered, outcome.exited, outcome.error, outcome.retryInMs / 1000],
        );
        return;
      }
      await runner.query(
        `INSERT INTO segment_destination_members (workspace_id, segment_id, source_id, profile_id)
         SELECT $3, $1, $2, unnest($4::uuid[]) ON CONFLICT DO NOTHING`,
        [...pair, connection.workspaceId, owed.entered],
      );
      await runner.query(`DELETE FROM segment_destination_members WHERE segment_id = $1 AND source_id = $2 AND profile_id = ANY($3::uuid[])`, [...pair, owed.exited]);
      await runner.query(
        `DELETE FROM segment_destination_pending p USING unnest($3::uuid[], $4::bigint[]) AS r(profile_id, seq)
         WHERE p.segment_id = $1 AND p.source_id = $2 AND p.profile_id = r.profile_id AND p.seq = r.seq`,
        [...pair, owed.read.map((r) => r.profileId), owed.read.map((r) => r.seq)],
      );
      if (!ours) return;
      if (outcome) {
        await runner.query(
          `UPDATE segment_destinations SET last_pushed_at = now(), last_outcome = 'succeeded', last_entered = $3, last_exited = $4, last_synced = $5,
             last_skipped = $6, last_error = NULL, attempts = 0, next_attempt_at = now(), lease_id = NULL, leased_until = NULL
           WHERE segment_id = $1 AND source_id = $2`,
          [...pair, outcome.entered, outcome.exited, outcome.synced, outcome.skipped],
        );
      } else {
        await runner.query(`UPDATE segment_destinations SET next_attempt_at = now(), lease_id = NULL, leased_until = NULL WHERE segment_id = $1 AND source_id = $2`, pair);
      }
    });
  }

  /** Queues every current member of the segment for a destination just connected (in its transaction, the segment row locked). */
  async queueAllMembers(runner: QueryRunner, workspaceId: string, segmentId: string, sourceId: string): Promise<void> {
    await runner.query(
      `INSERT INTO segment_destination_pending (workspace_id, segment_id, source_id, profile_id)
       SELECT $1, $2, $3, m.profile_id FROM segment_memberships m WHERE m.segment_id = $2
       ON CONFLICT (segment_id, source_id, profile_id) DO NOTHING`,
      [workspaceId, segmentId, sourceId],
    );
  }

  /**
   * Forgets what the destination confirmed holding (its options changed: it holds it under the old
   * audience, tag…) and owes it the whole current membership again, in the caller's transaction (the
   * segment row locked). A member already waiting takes a new `seq`: a push in flight that read it
   * leaves it behind.
   */
  async forgetConfirmed(runner: QueryRunner, workspaceId: string, segmentId: string, sourceId: string): Promise<void> {
    await runner.query(`DELETE FROM segment_destination_members WHERE segment_id = $1 AND source_id = $2`, [segmentId, sourceId]);
    await runner.query(
      `INSERT INTO segment_destination_pending (workspace_id, segment_id, source_id, profile_id)
       SELECT $1, $2, $3, m.profile_id FROM segment_memberships m WHERE m.segment_id = $2
       ON CONFLICT (segment_id, source_id, profile_id) DO UPDATE SET seq = nextval('segment_destination_pending_seq')`,
      [workspaceId, segmentId, sourceId],
    );
  }

  /** Every connection with pending members: how many, and the age of the oldest change (metrics). */
  async pendingByConnection(): Promise<PendingByConnection[]> {
    const found: { workspace_id: string; segment_id: string; source_id: string; members: number; oldest: number }[] = await this.dataSource.query(
      `SELECT workspace_id, segment_id, source_id, count(*)::int AS members, greatest(extract(epoch FROM now() - min(queued_at)), 0)::float8 AS oldest
       FROM segment_destination_pending GROUP BY workspace_id, segment_id, source_id`,
    );
    return found.map((r) => ({ workspaceId: r.workspace_id, segmentId: r.segment_id, sourceId: r.source_id, members: r.members, oldestSeconds: r.oldest }));
  }
}
