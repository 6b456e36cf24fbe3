import type { QueryRunner } from 'typeorm';
import { KEY_SEPARATOR, type IngestEntry, type PlaceEntry } from '../ingest-entry.js';
import { queueConsentPushes } from '../../segments/segment-destination-outbox.service.js';
import { writtenPerProfile } from '../utils/written-per-profile.js';

/**
 * Consent: the latest statement per profile, purpose and source — within the batch, then against the
 * stored one (an older statement changes nothing) — and every statement into the history
 * (`consent_changes`, once each: a re-read adds nothing). One statement (none for none). The profiles
 * whose current consent changed are owed a push by the destinations of their segments (a destination
 * that needs consent sends or removes them). Answers those profiles.
 */
export async function writeConsents(runner: QueryRunner, workspaceId: string, entries: IngestEntry[], place: PlaceEntry): Promise<string[]> {
  type Statement = { profile_id: string; origin: string; purpose: string; source: string; granted: boolean; at: string };
  const consents = new Map<string, Statement>();
  const history = new Map<string, Statement>();
  for (const entry of entries) {
    if (entry.consent.length === 0) continue;
    const { profileId, originId } = place(entry);
    for (const c of entry.consent) {
      const statement = { profile_id: profileId, origin: originId, purpose: c.purpose, source: entry.source, granted: c.granted, at: c.at };
      history.set([originId, c.purpose, entry.source, c.at, c.granted].join(KEY_SEPARATOR), statement);
      const k = [originId, c.purpose, entry.source].join(KEY_SEPARATOR);
      const current = consents.get(k);
      if (!current || c.at >= current.at) {
        consents.set(k, statement);
      }
    }
  }
  if (consents.size === 0) return [];
  await runner.query(
    `INSERT INTO consent_changes (workspace_id, profile_id, origin_profile_id, purpose, source, granted, at)
     SELECT $1, x.profile_id, x.origin, x.purpose, x.source, x.granted, x.at
     FROM json_to_recordset($2::json) AS x(profile_id uuid, origin uuid, purpose text, source text, granted boolean, at timestamptz)
     ON CONFLICT DO NOTHING`,
    [workspaceId, JSON.stringify([...history.values()])],
  );
  const stated = await writtenPerProfile(
    runner,
    `INSERT INTO consents (workspace_id, profile_id, origin_profile_id, purpose, source, granted, at)
     SELECT $1, x.profile_id, x.origin, x.purpose, x.source, x.granted, x.at
     FROM json_to_recordset($2::json) AS x(profile_id uuid, origin uuid, purpose text, source text, granted boolean, at timestamptz)
     ON CONFLICT (workspace_id, origin_profile_id, purpose, source) DO UPDATE
       SET granted = EXCLUDED.granted, at = EXCLUDED.at
       WHERE EXCLUDED.at >= consents.at AND (consents.granted, consents.at) IS DISTINCT FROM (EXCLUDED.granted, EXCLUDED.at)
     RETURNING profile_id`,
    [workspaceId, JSON.stringify([...consents.values()])],
  );
  const changed = stated.map((r) => r.profile_id);
  await queueConsentPushes(runner, workspaceId, changed);
  return changed;
}
