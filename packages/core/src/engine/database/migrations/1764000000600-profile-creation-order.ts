import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The oldest profile survives a merge. Profiles created by one statement can share a microsecond of
 * `created_at`, which left the survivor to chance; a sequence numbers them in creation order (writers
 * of a workspace's profiles are serialized, so the order holds across transactions too).
 */
export class ProfileCreationOrder1764000000600 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE profiles ADD COLUMN created_seq bigint GENERATED ALWAYS AS IDENTITY`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE profiles DROP COLUMN created_seq`);
  }
}
