import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook signing secrets are sealed by the same secret box as source secrets, so that a rotation of
 * PORTRAIT_SECRET_KEY keeps them readable: the id of the key that sealed each one, beside it. NULL marks
 * a secret sealed before, in the earlier format, still opened and re-sealed by `portrait secrets rotate`.
 */
export class WebhookSecretKeyId1764000030000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_subscriptions ADD COLUMN secret_key_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_subscriptions DROP COLUMN secret_key_id`);
  }
}
