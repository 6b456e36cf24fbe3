import type { EntityManager } from 'typeorm';

/**
 * `backfill`: every live profile, after a change of computed-trait definitions or trait precedence;
 * `clock_refresh`: the live profiles having events, for the computed traits that move with the clock.
 */
export type RecomputeJobKind = 'backfill' | 'clock_refresh';
export type RecomputeJobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/**
 * Queues a job in the caller's transaction; a job of the same kind already waiting for the workspace is
 * the one answered (it has not read the settings yet, so it will see this change too).
 */
export async function queueRecomputeJob(manager: EntityManager, workspaceId: string, kind: RecomputeJobKind): Promise<string> {
  const [created] = await manager.query(
    `INSERT INTO recompute_jobs (workspace_id, kind) VALUES ($1, $2) ON CONFLICT (workspace_id, kind) WHERE status = 'queued' DO NOTHING RETURNING id`,
    [workspaceId, kind],
  );
  if (created) return created.id as string;
  const [waiting] = await manager.query(`SELECT id FROM recompute_jobs WHERE workspace_id = $1 AND kind = $2 AND status = 'queued'`, [workspaceId, kind]);
  return waiting.id as string;
}
