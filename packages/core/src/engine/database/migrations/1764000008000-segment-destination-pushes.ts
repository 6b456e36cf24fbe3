import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What the last push of a segment's diff to each connected destination did (the admin shows it). */
export class SegmentDestinationPushes1764000008000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE segment_destinations
        ADD COLUMN last_pushed_at timestamptz,
        ADD COLUMN last_synced int,
        ADD COLUMN last_skipped int,
        ADD COLUMN last_error text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE segment_destinations DROP COLUMN last_error, DROP COLUMN last_skipped, DROP COLUMN last_synced, DROP COLUMN last_pushed_at`);
  }
}
