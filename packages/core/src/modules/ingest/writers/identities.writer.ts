import type { QueryRunner } from 'typeorm';
import type { IdentityRow } from '../steps/plan.step.js';
import { writtenPerProfile } from '../utils/written-per-profile.js';

/**
 * Inserts the identities a batch attaches, in one statement (none for none); one already stored is
 * left as it is. Answers the profiles that got an identity.
 */
export async function writeIdentities(runner: QueryRunner, workspaceId: string, attached: IdentityRow[]): Promise<string[]> {
  if (attached.length === 0) return [];
  const written = await writtenPerProfile(
    runner,
    `INSERT INTO identities (workspace_id, type, value, profile_id, origin_profile_id, source)
     SELECT $1, x.type, x.value, x.profile_id, x.origin, x.source FROM json_to_recordset($2::json) AS x(type text, value text, profile_id uuid, origin uuid, source text)
     ON CONFLICT (workspace_id, type, value) DO NOTHING
     RETURNING profile_id`,
    [workspaceId, JSON.stringify(attached)],
  );
  return written.map((r) => r.profile_id);
}
