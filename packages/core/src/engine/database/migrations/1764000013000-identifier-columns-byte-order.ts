import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per table every ingest looks up and writes: its identifier columns, all parts of its unique or lookup keys. */
const COLUMNS = [
  ['identities', ['type', 'value']],
  ['events', ['source', 'type', 'dedupe_key']],
  ['source_records', ['source', 'external_id']],
] as const;

/**
 * Identifiers — identity types and values, sources, external ids, event types and dedupe keys — compare
 * as bytes (`COLLATE "C"`) instead of by the database's language collation: they are matched for
 * equality, sorted only to list them in a stable order (for which byte order serves as well), and their
 * unique and lookup indexes are what every ingest batch probes and extends thousands of times. A language collation costs a locale-aware comparison at each
 * step of each probe; byte order costs a `memcmp`. Equality is the same under both (every collation
 * PostgreSQL creates a database with is deterministic), so no stored key changes meaning. The indexes on
 * these columns are rebuilt; the tables are not rewritten.
 */
export class IdentifierColumnsByteOrder1764000013000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    for (const [table, columns] of COLUMNS) {
      await q.query(`ALTER TABLE ${table} ${columns.map((c) => `ALTER COLUMN ${c} TYPE text COLLATE "C"`).join(', ')}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table, columns] of COLUMNS) {
      await q.query(`ALTER TABLE ${table} ${columns.map((c) => `ALTER COLUMN ${c} TYPE text COLLATE "default"`).join(', ')}`);
    }
  }
}
