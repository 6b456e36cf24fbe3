import type { Identity } from '@portrait/connector-sdk';
import type { QueryRunner } from 'typeorm';
import { rows } from '../../../engine/database/sql.js';
import type { ProfileKind } from '../../identity/batch-resolver.js';
import { KEY_SEPARATOR, type IngestEntry } from '../ingest-entry.js';
import { uniqueBy } from '../utils/unique-by.js';

/** What the database already knows about a batch's identities and records. */
export interface KnownProfiles {
  /** The stored identities the batch mentions, with their profile. */
  identityOwners: { type: string; value: string; profile_id: string }[];
  /** The stored records the batch mentions, with their profile. */
  recordOwners: { source: string; external_id: string; kind: ProfileKind; profile_id: string }[];
  /** The profiles of those identities and records, each with all its identities and its rank in order of creation. */
  profiles: { id: string; kind: ProfileKind; created: string; identities: Identity[]; first_name?: string | null }[];
}

/**
 * Resolves a batch's identities and records to the stored profiles they belong to: two statements,
 * and a third for those profiles when there are any. Runs under the workspace's ingest lock, so that
 * nothing it read changes before the batch is written.
 */
export async function resolveKnownProfiles(runner: QueryRunner, workspaceId: string, entries: IngestEntry[]): Promise<KnownProfiles> {
  const allIdentities = uniqueBy(
    entries.flatMap((e) => e.identities),
    (i) => `${i.type}${KEY_SEPARATOR}${i.value}`,
  );
  const identityOwners = await rows<{ type: string; value: string; profile_id: string }>(
    runner,
    `SELECT i.type, i.value, i.profile_id FROM identities i
     JOIN json_to_recordset($2::json) AS k(type text, value text) ON i.type = k.type AND i.value = k.value
     WHERE i.workspace_id = $1`,
    [workspaceId, JSON.stringify(allIdentities)],
  );
  const records = uniqueBy(entries, (e) => e.recordKey).map((e) => ({ source: e.source, external_id: e.externalId }));
  const recordOwners = await rows<{ source: string; external_id: string; kind: ProfileKind; profile_id: string }>(
    runner,
    `SELECT r.source, r.external_id, r.kind, r.profile_id FROM source_records r
     JOIN json_to_recordset($2::json) AS k(source text, external_id text) ON r.source = k.source AND r.external_id = k.external_id
     WHERE r.workspace_id = $1`,
    [workspaceId, JSON.stringify(records)],
  );
  const matchedIds = [...new Set([...identityOwners.map((r) => r.profile_id), ...recordOwners.map((r) => r.profile_id)])];
  const profiles = matchedIds.length
    ? await rows<{ id: string; kind: ProfileKind; created: string; identities: Identity[]; first_name: string | null }>(
        runner,
        `SELECT p.id, p.kind, row_number() OVER (ORDER BY p.created_seq) AS created, p.traits->>'first_name' AS first_name,
                coalesce((SELECT json_agg(json_build_object('type', i.type, 'value', i.value)) FROM identities i WHERE i.profile_id = p.id), '[]') AS identities
         FROM profiles p WHERE p.id = ANY($1::uuid[])`,
        [matchedIds],
      )
    : [];
  return { identityOwners, recordOwners, profiles };
}
