import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Buyer personas: a card (who the persona is) and weighted matching rules written in the segment
 * condition language. Each person profile holds its best-matching persona (`persona_id`, added with
 * segments), the score of that match and when it was assigned; an index on the assignment serves the
 * persona's size, its members and the `persona` filter of the profile list.
 */
export class Personas1764000007000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE personas (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name text NOT NULL,
        -- a stable handle for the API and webhook consumers
        key text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
        summary text,
        -- demographics, role, goals, pain_points, fears, information_sources, preferred_channels, typology
        card jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(card) = 'object'),
        -- [{condition, weight, label?}]: a profile's score is the weight of the rules it matches over the total weight
        rules jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array'),
        min_score numeric NOT NULL DEFAULT 0.5 CHECK (min_score >= 0 AND min_score <= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        -- the matching rules' revision: 1 when created, bumped by each update that changes rules or min_score
        version int NOT NULL DEFAULT 1
      )`);
    await q.query(`CREATE INDEX personas_live ON personas (workspace_id, created_at, id) WHERE deleted_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX personas_key ON personas (workspace_id, key) WHERE deleted_at IS NULL`);
    await q.query(`ALTER TABLE profiles ADD COLUMN persona_score real, ADD COLUMN persona_assigned_at timestamptz`);
    await q.query(`CREATE INDEX profiles_persona ON profiles (workspace_id, persona_id) WHERE persona_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS profiles_persona`);
    await q.query(`UPDATE profiles SET persona_id = NULL WHERE persona_id IS NOT NULL`);
    await q.query(`ALTER TABLE profiles DROP COLUMN persona_assigned_at, DROP COLUMN persona_score`);
    await q.query(`DROP TABLE IF EXISTS personas`);
  }
}
