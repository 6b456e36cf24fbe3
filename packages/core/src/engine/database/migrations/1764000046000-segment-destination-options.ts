import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each connection of a segment to a destination keeps the options it was connected with (the audience
 * it goes to, the tag it takes there…), as the destination's connector validates them; `{}`: its defaults.
 */
export class SegmentDestinationOptions1764000046000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE segment_destinations ADD COLUMN options jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE segment_destinations DROP COLUMN options`);
  }
}
