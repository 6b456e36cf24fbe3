import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Privacy requests that channels forward by webhook (a person's erasure or data request): what was
 * asked, by which source, and when it was carried out. A row never holds personal data in clear: an
 * erasure keeps only counts, an export keeps the person's data sealed (AES-256-GCM) until an admin
 * fetches it. `reference` is the channel's id of the request: the same reference twice is carried out once.
 */
export class PrivacyRequests1764000014000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE privacy_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        -- The record outlives its source: it answers "was this request honoured, and when".
        source_id uuid REFERENCES sources(id) ON DELETE SET NULL,
        type text NOT NULL CHECK (type IN ('erase', 'export')),
        reference text,
        -- received: being carried out (or stopped part-way, carried out again on redelivery);
        -- completed: done; no_match: no identity matched a profile, nothing to do.
        status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'completed', 'no_match')),
        identities integer NOT NULL,
        profiles integer,
        -- Erase: rows deleted per table. Counts only.
        deleted jsonb,
        -- Export: the profiles' exports as one sealed JSON document, and the id of the key that sealed it.
        export_sealed text,
        export_key_id text,
        requested_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX privacy_requests_by_reference ON privacy_requests (workspace_id, source_id, type, reference) WHERE reference IS NOT NULL`);
    await q.query(`CREATE INDEX privacy_requests_by_time ON privacy_requests (workspace_id, requested_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE privacy_requests`);
  }
}
