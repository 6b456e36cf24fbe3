import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ideal customer profiles (ICPs): named sets of weighted criteria over accounts. Each live account has
 * a fit score (0 to 100) and a qualification per ICP of its workspace (`icp_scores`); each profile
 * holds its best fit across ICPs (`icp_fit`, `icp_qualified`): an account its own, a person the one of
 * the account it is linked to last (`icp_account_id`), so that segments and the profile API read it
 * without a join.
 */
export class Icps1764000041000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE icps (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name text NOT NULL,
        -- a stable handle for the API, the CLI and the icp leaf of segments
        key text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
        description text,
        -- [{kind: account|people, condition, weight, minPeople?, label?}]
        criteria jsonb NOT NULL CHECK (jsonb_typeof(criteria) = 'array'),
        threshold smallint NOT NULL DEFAULT 70 CHECK (threshold >= 0 AND threshold <= 100),
        -- the criteria's revision: 1 when created, bumped by each update that changes criteria or threshold
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX icps_live ON icps (workspace_id, created_at, id) WHERE deleted_at IS NULL`);
    await q.query(`CREATE UNIQUE INDEX icps_key ON icps (workspace_id, key) WHERE deleted_at IS NULL`);
    await q.query(`
      CREATE TABLE icp_scores (
        icp_id uuid NOT NULL REFERENCES icps(id) ON DELETE CASCADE,
        account_id uuid NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        score smallint NOT NULL CHECK (score >= 0 AND score <= 100),
        qualified boolean NOT NULL,
        -- the indexes (0-based) of the criteria the account meets
        matched int[] NOT NULL,
        scored_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (icp_id, account_id)
      )`);
    // The scored accounts of an ICP, best first; the scores of an account.
    await q.query(`CREATE INDEX icp_scores_ranking ON icp_scores (icp_id, score DESC, account_id)`);
    await q.query(`CREATE INDEX icp_scores_by_account ON icp_scores (account_id)`);
    await q.query(`ALTER TABLE profiles ADD COLUMN icp_fit smallint, ADD COLUMN icp_qualified boolean, ADD COLUMN icp_account_id uuid`);
    await q.query(`CREATE INDEX profiles_icp_account ON profiles (icp_account_id) WHERE icp_account_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS profiles_icp_account`);
    await q.query(`ALTER TABLE profiles DROP COLUMN icp_account_id, DROP COLUMN icp_qualified, DROP COLUMN icp_fit`);
    await q.query(`DROP TABLE IF EXISTS icp_scores`);
    await q.query(`DROP TABLE IF EXISTS icps`);
  }
}
