import type { DataSource } from 'typeorm';

/**
 * Claims a job row of a job table (`recompute_jobs`, `persona_discoveries`: columns `status`,
 * `started_at`, `heartbeat_at`, `created_at`): the oldest due one, or the one `id` names — queued, or
 * running without a heartbeat for `stalledAfterSeconds` (its process stopped). It becomes `running`
 * with a new heartbeat; SKIP LOCKED lets any number of processes claim from the same table, each row
 * taken by one. Answers the row's `columns`, or undefined when nothing is due.
 */
export async function claimJob<Row>(dataSource: DataSource, table: string, columns: string, stalledAfterSeconds: number, id?: string): Promise<Row | undefined> {
  const [row] = await dataSource.query(
    `WITH claimed AS (
       UPDATE ${table} SET status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now()
       WHERE id = (
         SELECT id FROM ${table}
         WHERE ($1::uuid IS NULL OR id = $1)
           AND (status = 'queued' OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => $2)))
         ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING ${columns})
     SELECT * FROM claimed`,
    [id ?? null, stalledAfterSeconds],
  );
  return row as Row | undefined;
}
