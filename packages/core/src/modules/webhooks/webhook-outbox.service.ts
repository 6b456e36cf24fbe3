import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProfileChangesService, type ProfileChange } from '../profiles/profile-changes.service.js';
import type { WebhookEventType } from './webhook-events.js';

/**
 * Turns what happened into deliveries owed to each subscription that wants it — one set-based
 * statement per event type. Profile changes are followed here; other modules (segments, personas)
 * call `emit` with their own events.
 */
@Injectable()
export class WebhookOutboxService implements OnModuleInit, OnModuleDestroy {
  private unsubscribe?: () => void;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: ProfileChangesService,
  ) {}

  onModuleInit(): void {
    // Last: subscribers hear of a change once personas and segments have followed it.
    this.unsubscribe = this.changes.subscribe((change) => this.onProfileChange(change), { phase: 'notify' });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Queues one event per item for every live subscription of the workspace to `type`; returns how many deliveries. */
  async emit(workspaceId: string, type: WebhookEventType, items: Record<string, unknown>[]): Promise<number> {
    if (items.length === 0) return 0;
    const events = items.map((data) => ({ event_id: randomUUID(), data }));
    const inserted: unknown[] = await this.dataSource.query(
      `WITH events AS (SELECT e.event_id, $2::text AS type, e.data, $4::timestamptz AS created_at FROM json_to_recordset($3::json) AS e(event_id uuid, data jsonb))
       ${queueWebhookDeliveries('events', '$1')}`,
      [workspaceId, type, JSON.stringify(events), new Date().toISOString()],
    );
    return inserted.length;
  }

  private async onProfileChange(change: ProfileChange): Promise<void> {
    const [{ wanted }]: { wanted: string[] | null }[] = await this.dataSource.query(
      `SELECT array_agg(DISTINCT e) AS wanted FROM webhook_subscriptions, unnest(events) e
       WHERE workspace_id = $1 AND deleted_at IS NULL AND e IN ('profile.updated', 'profile.merged')`,
      [change.workspaceId],
    );
    if (!wanted) return;
    if (wanted.includes('profile.merged') && change.mergedAway.length) {
      // Each merged-away profile with the profile it now lives in (following chains of merges).
      const merged: { profile_id: string; survivor_id: string }[] = await this.dataSource.query(
        `WITH RECURSIVE chain AS (
           SELECT id AS profile_id, merged_into AS survivor_id FROM profiles WHERE id = ANY($1::uuid[]) AND merged_into IS NOT NULL
           UNION ALL
           SELECT c.profile_id, p.merged_into FROM chain c JOIN profiles p ON p.id = c.survivor_id WHERE p.merged_into IS NOT NULL
         )
         SELECT DISTINCT ON (c.profile_id) c.profile_id, c.survivor_id FROM chain c
         JOIN profiles s ON s.id = c.survivor_id AND s.merged_into IS NULL`,
        [change.mergedAway],
      );
      await this.emit(change.workspaceId, 'profile.merged', merged.map((m) => ({ profileId: m.profile_id, mergedInto: m.survivor_id })));
    }
    if (wanted.includes('profile.updated')) {
      await this.emit(change.workspaceId, 'profile.updated', change.profileIds.map((profileId) => ({ profileId })));
    }
  }
}

/**
 * The statement that turns events into deliveries owed to every live subscription of the workspace
 * that wants their type. `events` names a relation (a CTE of the same statement) with the columns
 * `event_id uuid, type text, data jsonb, created_at timestamptz`; `workspace` is the placeholder of the
 * workspace id. Writers that log events in SQL (segment membership) queue their deliveries in the same
 * statement, so an event and what it owes subscribers commit together. Answers the delivery ids.
 */
export function queueWebhookDeliveries(events: string, workspace: string): string {
  return `INSERT INTO webhook_deliveries (workspace_id, subscription_id, event_id, event_type, payload)
       SELECT s.workspace_id, s.id, e.event_id, e.type,
              jsonb_build_object('id', e.event_id, 'type', e.type, 'workspaceId', s.workspace_id,
                                 'createdAt', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', e.data)
       FROM ${events} e JOIN webhook_subscriptions s ON s.workspace_id = ${workspace}::uuid AND s.deleted_at IS NULL AND e.type = ANY(s.events)
       ON CONFLICT (subscription_id, event_id) DO NOTHING
       RETURNING id`;
}
