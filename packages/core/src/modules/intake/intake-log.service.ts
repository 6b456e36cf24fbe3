import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EventEmitter } from 'node:events';
import type { DataSource, QueryRunner } from 'typeorm';
import { eraseRawRecordsHolding } from '../../engine/database/erase-by-values.js';
import { decodeSerialCursor, encodeCursor, pageLimit, type Page } from '../profiles/profiles.service.js';
import { ProfileException } from '../profiles/profile.exception.js';

/** A tracking message the ingest refused after it was accepted, with why. */
export interface IntakeDeadLetterView {
  id: string;
  reason: string;
  /** When the tracking API accepted it. */
  receivedAt: string;
  /** When the ingest refused it. */
  deadLetteredAt: string;
}

/** Where an append landed: its workspace and the range of log ids its messages got. */
export interface IntakeReceipt {
  workspaceId: string;
  firstId: string;
  lastId: string;
}

/** How often a waiting caller looks whether its messages are on the profile. */
const WAIT_POLL_MS = 25;

/**
 * The durable intake log of the tracking API: accepted messages (already facts) are appended in one
 * multi-row statement per request and are durable when `append` returns; the intake processor drains
 * them into profiles through the ingest. `waitUntilProcessed` gives read-your-writes to callers that
 * ask for it. An in-process signal wakes a processor of the same process at once.
 */
@Injectable()
export class IntakeLogService {
  /** Emits `appended` (workspace id) after each append of this process. */
  readonly signals = new EventEmitter();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.signals.setMaxListeners(0);
  }

  /**
   * Deletes, in the caller's transaction (an erasure), the messages still waiting and the intake dead
   * letters that hold one of these identity values (a refusal's reason included): answers the rows
   * deleted per table. Waiting messages would be dropped by the suppression anyway; they go at once.
   */
  async eraseIn(runner: QueryRunner, workspaceId: string, identityValues: string[]): Promise<Record<string, number>> {
    return {
      intake_log: await eraseRawRecordsHolding(runner, { table: 'intake_log', payload: 'fact' }, workspaceId, identityValues),
      intake_dead_letters: await eraseRawRecordsHolding(runner, { table: 'intake_dead_letters', payload: 'payload', reason: 'reason' }, workspaceId, identityValues),
    };
  }

  /** The workspace's intake dead letters, newest first, without the message (keyset on the id). */
  async deadLetters(workspaceId: string, query: { limit?: number; cursor?: string } = {}): Promise<Page<IntakeDeadLetterView>> {
    const limit = pageLimit(query.limit);
    const before = query.cursor ? decodeSerialCursor(query.cursor) : null;
    if (query.cursor && !before) throw new ProfileException('INVALID_CURSOR', 'cursor is not one this API returned', { errors: [{ field: 'cursor', message: 'is not one this API returned' }] });
    const found: { id: string; reason: string; received_at: Date; created_at: Date }[] = await this.dataSource.query(
      `SELECT id::text, reason, received_at, created_at FROM intake_dead_letters
       WHERE workspace_id = $1 AND ($3::bigint IS NULL OR id < $3::bigint) ORDER BY intake_dead_letters.id DESC LIMIT $2`,
      [workspaceId, limit + 1, before],
    );
    const page = found.slice(0, limit);
    const last = page.at(-1);
    return { data: page.map(deadLetterView), nextCursor: found.length > limit && last ? encodeCursor([last.id]) : null };
  }

  /** One intake dead letter with the message as the tracking API accepted it (personal data), or undefined. */
  async deadLetter(workspaceId: string, id: string): Promise<(IntakeDeadLetterView & { message: unknown }) | undefined> {
    if (!/^[0-9]{1,18}$/.test(id)) return undefined;
    const [row]: { id: string; reason: string; received_at: Date; created_at: Date; payload: unknown }[] = await this.dataSource.query(
      `SELECT id::text, reason, received_at, created_at, payload FROM intake_dead_letters WHERE workspace_id = $1 AND id = $2::bigint`,
      [workspaceId, id],
    );
    return row ? { ...deadLetterView(row), message: row.payload } : undefined;
  }

  /** Appends facts of one workspace in their order, in one statement; durable once it returns. */
  async append(workspaceId: string, facts: unknown[]): Promise<IntakeReceipt | undefined> {
    if (facts.length === 0) return undefined;
    const rows: { first: string; last: string }[] = await this.dataSource.query(
      `WITH appended AS (
         INSERT INTO intake_log (workspace_id, fact)
         SELECT $1, f.fact FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS f(fact, n) ORDER BY f.n
         RETURNING id)
       SELECT min(id)::text AS first, max(id)::text AS last FROM appended`,
      [workspaceId, JSON.stringify(facts)],
    );
    this.signals.emit('appended', workspaceId);
    return { workspaceId, firstId: rows[0]!.first, lastId: rows[0]!.last };
  }

  /**
   * Waits until the receipt's messages were ingested and the traits of their batch recomputed, at most
   * `timeoutMs`. True when they are on the profile; false on timeout (they stay durable in the log).
   */
  async waitUntilProcessed(receipt: IntakeReceipt, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let committedBy: string | undefined;
    for (;;) {
      const [state]: { pending: boolean; committed: string | null; completed: string | null }[] = await this.dataSource.query(
        `SELECT EXISTS (SELECT 1 FROM intake_log WHERE workspace_id = $1 AND id BETWEEN $2 AND $3) AS pending,
                p.committed::text AS committed, p.completed::text AS completed
         FROM (SELECT 1) AS one LEFT JOIN intake_progress p ON p.workspace_id = $1`,
        [receipt.workspaceId, receipt.firstId, receipt.lastId],
      );
      // The batch that took the last of them is at most the one committed when they were first seen gone.
      if (!state!.pending) committedBy ??= state!.committed ?? '0';
      if (committedBy !== undefined && BigInt(state!.completed ?? '0') >= BigInt(committedBy)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now()))));
    }
  }
}

function deadLetterView(row: { id: string; reason: string; received_at: Date; created_at: Date }): IntakeDeadLetterView {
  return { id: row.id, reason: row.reason, receivedAt: new Date(row.received_at).toISOString(), deadLetteredAt: new Date(row.created_at).toISOString() };
}
