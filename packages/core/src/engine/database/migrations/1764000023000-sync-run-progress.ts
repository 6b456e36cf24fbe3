import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the management API shows of a run while it goes and after: the stream it is reading now, and
 * the warnings its connector reported (messages only, never the fields logged with them).
 */
export class SyncRunProgress1764000023000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_runs ADD COLUMN current_stream text`);
    // [{ message, count }]: each distinct warning once, with how many times it was reported.
    await q.query(`ALTER TABLE sync_runs ADD COLUMN warnings jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sync_runs DROP COLUMN warnings`);
    await q.query(`ALTER TABLE sync_runs DROP COLUMN current_stream`);
  }
}
