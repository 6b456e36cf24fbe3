import type { QueryRunner } from 'typeorm';
import type { ProfileKind } from '../../identity/batch-resolver.js';
import type { IngestEntry, PlaceEntry } from '../ingest-entry.js';
import { writtenPerProfile } from '../utils/written-per-profile.js';

/**
 * Source records, one row per record key, observations `{v, at}` (and `raw`, the value as sent when
 * the ingest normalized it) merged per trait by time: within the batch
 * first (the latest observation of each trait wins), then with the stored record
 * (`portrait_merge_observations`). A stored record whose traits stay the same is left untouched and
 * counts as no change. One statement. Answers the profiles whose records changed.
 */
export async function writeSourceRecords(runner: QueryRunner, workspaceId: string, entries: IngestEntry[], place: PlaceEntry): Promise<string[]> {
  const recordRows = new Map<string, { source: string; external_id: string; kind: ProfileKind; profile_id: string; origin: string; traits: Record<string, { v: unknown; at: string; raw?: unknown }>; observed_at: string }>();
  for (const entry of entries) {
    let row = recordRows.get(entry.recordKey);
    if (!row) {
      const { profileId, originId } = place(entry);
      row = { source: entry.source, external_id: entry.externalId, kind: entry.kind, profile_id: profileId, origin: originId, traits: {}, observed_at: entry.observedAt };
      recordRows.set(entry.recordKey, row);
    }
    if (entry.observedAt > row.observed_at) row.observed_at = entry.observedAt;
    for (const [k, v] of Object.entries(entry.traits)) {
      const current = row.traits[k];
      const raw = entry.rawTraits?.[k];
      if (!current || entry.observedAt >= current.at) row.traits[k] = raw === undefined ? { v, at: entry.observedAt } : { v, at: entry.observedAt, raw };
    }
  }
  if (recordRows.size === 0) return [];
  const upserted = await writtenPerProfile(
    runner,
    `INSERT INTO source_records (workspace_id, source, external_id, kind, profile_id, origin_profile_id, traits, observed_at)
     SELECT $1, x.source, x.external_id, x.kind, x.profile_id, x.origin, x.traits, x.observed_at
     FROM jsonb_to_recordset($2::jsonb) AS x(source text, external_id text, kind text, profile_id uuid, origin uuid, traits jsonb, observed_at timestamptz)
     ON CONFLICT (workspace_id, source, external_id) DO UPDATE
       SET traits = portrait_merge_observations(source_records.traits, EXCLUDED.traits),
           observed_at = greatest(source_records.observed_at, EXCLUDED.observed_at),
           updated_at = now()
       WHERE source_records.traits IS DISTINCT FROM portrait_merge_observations(source_records.traits, EXCLUDED.traits)
     RETURNING profile_id`,
    [workspaceId, JSON.stringify([...recordRows.values()])],
  );
  return upserted.map((r) => r.profile_id);
}
