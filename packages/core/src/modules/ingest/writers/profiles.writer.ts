import type { QueryRunner } from 'typeorm';
import type { ProfileKind } from '../../identity/batch-resolver.js';

/** Inserts the profiles a batch creates, in one statement (none for none). */
export async function writeProfiles(runner: QueryRunner, workspaceId: string, created: { id: string; kind: ProfileKind }[]): Promise<void> {
  if (created.length === 0) return;
  await runner.query(
    `INSERT INTO profiles (id, workspace_id, kind) SELECT x.id, $1, x.kind FROM json_to_recordset($2::json) AS x(id uuid, kind text)`,
    [workspaceId, JSON.stringify(created)],
  );
}
