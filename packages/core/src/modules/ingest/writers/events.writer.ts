import { createHash } from 'node:crypto';
import type { ProfileFact } from '@portrait/connector-sdk';
import type { QueryRunner } from 'typeorm';
import type { IngestEntry, PlaceEntry } from '../ingest-entry.js';
import { writtenPerProfile } from '../utils/written-per-profile.js';

export interface EventsWritten {
  /** The profiles that got an event. */
  profileIds: string[];
  inserted: number;
  /** Events already stored (same source and dedupe key), not inserted again. */
  deduplicated: number;
}

/**
 * Events, deduplicated per source by dedupe key (an event without one gets a stable key from its
 * record, type, time and properties): sent grouped by the fact they came with (its profile, origin and
 * source once, its events as they are), answered per profile. One statement (none for no events).
 */
export async function writeEvents(runner: QueryRunner, workspaceId: string, entries: IngestEntry[], place: PlaceEntry): Promise<EventsWritten> {
  const eventGroups = entries
    .filter((entry) => entry.events.length > 0)
    .map((entry) => {
      const { profileId, originId } = place(entry);
      return {
        profile_id: profileId,
        origin: originId,
        source: entry.source,
        events: entry.events.map((e) => (e.dedupeKey === undefined ? { ...e, dedupeKey: defaultDedupeKey(entry, e) } : e)),
      };
    });
  if (eventGroups.length === 0) return { profileIds: [], inserted: 0, deduplicated: 0 };
  const inserted = await writtenPerProfile(
    runner,
    `INSERT INTO events (workspace_id, profile_id, origin_profile_id, source, type, occurred_at, properties, dedupe_key)
     SELECT $1, x.profile_id, x.origin, x.source, e.type, e."occurredAt", e.properties, e."dedupeKey"
     FROM jsonb_to_recordset($2::jsonb) AS x(profile_id uuid, origin uuid, source text, events jsonb)
     CROSS JOIN LATERAL jsonb_to_recordset(x.events) AS e(type text, "occurredAt" timestamptz, properties jsonb, "dedupeKey" text)
     ON CONFLICT (workspace_id, source, dedupe_key) DO NOTHING
     RETURNING profile_id`,
    [workspaceId, JSON.stringify(eventGroups)],
  );
  let total = 0;
  for (const r of inserted) total += r.written;
  return {
    profileIds: inserted.map((r) => r.profile_id),
    inserted: total,
    deduplicated: eventGroups.reduce((n, g) => n + g.events.length, 0) - total,
  };
}

/** A stable key for an event without one: same record, type, time and properties → same key. */
export function defaultDedupeKey(entry: Pick<IngestEntry, 'externalId'>, event: ProfileFact['events'][number]): string {
  return createHash('sha256')
    .update(JSON.stringify([entry.externalId, event.type, event.occurredAt, canonical(event.properties)]))
    .digest('base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}
