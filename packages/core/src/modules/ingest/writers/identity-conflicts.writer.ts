import type { QueryRunner } from 'typeorm';
import type { IdentityConflictRow } from '../steps/plan.step.js';

/** Identity conflicts of a batch, for the admin to review. One statement (none for none). */
export async function writeIdentityConflicts(runner: QueryRunner, workspaceId: string, conflicts: IdentityConflictRow[]): Promise<void> {
  if (conflicts.length === 0) return;
  await runner.query(
    `INSERT INTO identity_conflicts (workspace_id, kept_profile_id, identity_type, identity_value, source, external_id, reason)
     SELECT $1, x.kept, x.type, x.value, x.source, x.external_id, x.reason
     FROM json_to_recordset($2::json) AS x(kept uuid, type text, value text, source text, external_id text, reason text)`,
    [workspaceId, JSON.stringify(conflicts)],
  );
}
