import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Persona discovery: a run clusters a workspace's people over behavioural and demographic features
 * and proposes draft personas. A run is queued, then run (inline for a small workspace, by the worker
 * otherwise; `progress` and `phase` written as it goes, `heartbeat_at` so that a stopped worker's run is
 * taken over), and keeps its drafts. Accepting a draft creates a persona and records which one.
 */
export class PersonaDiscoveries1764000042000 implements MigrationInterface {
  name = 'PersonaDiscoveries1764000042000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE persona_discoveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        -- {minK, maxK, seed, sampleSize}
        params jsonb NOT NULL,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
        phase text,
        progress real NOT NULL DEFAULT 0,
        -- What the run found: people clustered, sample size, features used, silhouette per k, k chosen.
        summary jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        heartbeat_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX persona_discoveries_by_workspace ON persona_discoveries (workspace_id, created_at)`);
    await q.query(`CREATE INDEX persona_discoveries_due ON persona_discoveries (created_at) WHERE status IN ('queued', 'running')`);
    await q.query(`
      CREATE TABLE persona_discovery_drafts (
        discovery_id uuid NOT NULL REFERENCES persona_discoveries(id) ON DELETE CASCADE,
        number integer NOT NULL,
        size integer NOT NULL,
        share real NOT NULL,
        -- The suggested persona (name, summary, card, rules, minScore), the centroid in human units and the distinguishing features.
        draft jsonb NOT NULL,
        accepted_persona_id uuid REFERENCES personas(id),
        accepted_at timestamptz,
        PRIMARY KEY (discovery_id, number)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE persona_discovery_drafts`);
    await q.query(`DROP TABLE persona_discoveries`);
  }
}
