import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Customer typology: each person profile's typology (`profiles.typology`, added with segments) is now
 * written by the typology module, with the reason in words and figures (`typology_reason`), the
 * measurements every rule read (`typology_figures`) and when the profile got that typology
 * (`typology_set_at`). A typology is one of the four of the seed documents, or `unknown` when there is
 * too little behaviour to say; accounts and merged-away profiles have none. An index on the typology
 * serves the workspace's distribution and the `typology` filter of the profile list.
 */
export class Typology1764000040000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE profiles ADD COLUMN typology_reason text, ADD COLUMN typology_figures jsonb, ADD COLUMN typology_set_at timestamptz`);
    await q.query(
      `ALTER TABLE profiles ADD CONSTRAINT profiles_typology_known CHECK (typology IN ('need_based', 'deal_based', 'impulsive', 'loyal', 'unknown'))`,
    );
    await q.query(`CREATE INDEX profiles_typology ON profiles (workspace_id, typology) WHERE typology IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX profiles_typology`);
    await q.query(`ALTER TABLE profiles DROP CONSTRAINT profiles_typology_known`);
    await q.query(`ALTER TABLE profiles DROP COLUMN typology_set_at, DROP COLUMN typology_figures, DROP COLUMN typology_reason`);
  }
}
