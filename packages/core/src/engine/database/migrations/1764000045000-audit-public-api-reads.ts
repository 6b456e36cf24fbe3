import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit log also records reads of a person's data through the public API, by API key (`via = 'api_key'`). */
export class AuditPublicApiReads1764000045000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log DROP CONSTRAINT audit_log_via_check`);
    await q.query(`ALTER TABLE audit_log ADD CONSTRAINT audit_log_via_check CHECK (via IN ('session', 'token', 'cli', 'api_key'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM audit_log WHERE via = 'api_key'`);
    await q.query(`ALTER TABLE audit_log DROP CONSTRAINT audit_log_via_check`);
    await q.query(`ALTER TABLE audit_log ADD CONSTRAINT audit_log_via_check CHECK (via IN ('session', 'token', 'cli'))`);
  }
}
