import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events and identities are keyed by what makes them unique — (workspace, source, dedupe key) and
 * (workspace, type, value) — instead of by their bigint id: every ingest already looks them up and
 * deduplicates by that key, and nothing reads them by id. One index fewer to write per row on the two
 * tables an ingest writes most. The id columns stay (events order by (occurred_at, id) in timelines).
 */
export class NaturalPrimaryKeys1764000012000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP CONSTRAINT events_pkey, DROP CONSTRAINT events_dedupe, ADD CONSTRAINT events_pkey PRIMARY KEY (workspace_id, source, dedupe_key)`);
    await q.query(
      `ALTER TABLE identities DROP CONSTRAINT identities_pkey, DROP CONSTRAINT identities_unique_value, ADD CONSTRAINT identities_pkey PRIMARY KEY (workspace_id, type, value)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP CONSTRAINT events_pkey, ADD CONSTRAINT events_pkey PRIMARY KEY (id), ADD CONSTRAINT events_dedupe UNIQUE (workspace_id, source, dedupe_key)`);
    await q.query(
      `ALTER TABLE identities DROP CONSTRAINT identities_pkey, ADD CONSTRAINT identities_pkey PRIMARY KEY (id), ADD CONSTRAINT identities_unique_value UNIQUE (workspace_id, type, value)`,
    );
  }
}
