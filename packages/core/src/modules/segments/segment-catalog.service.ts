import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { inTransaction } from '../../engine/database/sql.js';
import type { RecomputedValues } from '../profiles/profile-changes.service.js';
import { isIsoInstant } from './segment-definition.js';

/** A JSON type as segments see it: strings that are ISO-8601 instants are `date`. */
export type JsonType = 'string' | 'date' | 'number' | 'boolean' | 'array' | 'object';

/** What values of a trait look like across a workspace's profiles. `mixed`: several kinds were seen. */
export type ObservedType = JsonType | 'mixed';

/** Every type seen for a key of `traits` or `computed`; undefined when the key was never seen. */
export type ObservedTypes = (field: 'traits' | 'computed', key: string) => ReadonlySet<JsonType> | undefined;

export interface SegmentCatalog {
  traits: Map<string, ObservedType>;
  computed: Map<string, ObservedType>;
  types: ObservedTypes;
}

/** Strings and dates together read as strings (some values are not dates); other mixtures are `mixed`. */
function summarize(types: ReadonlySet<JsonType>): ObservedType {
  if (types.size === 1) return [...types][0]!;
  if (types.size === 2 && types.has('string') && types.has('date')) return 'string';
  return 'mixed';
}

/** A value's type as `typesOf` tells it in SQL (`portrait_try_timestamptz` and `isIsoInstant` share one rule); undefined for null. */
export function jsonTypeOf(value: unknown): JsonType | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return isIsoInstant(value) ? 'date' : 'string';
  return typeof value === 'number' || typeof value === 'boolean' ? (typeof value as 'number' | 'boolean') : 'object';
}

/** The rows (field, key, type) seen in the `traits` and `computed` of the profiles selected by `from`. */
const typesOf = (from: string) => `
  SELECT DISTINCT c.field, c.key,
         CASE WHEN jsonb_typeof(c.value) <> 'string' THEN jsonb_typeof(c.value)
              WHEN c.value #>> '{}' LIKE '____-__-__%' AND portrait_try_timestamptz(c.value #>> '{}') IS NOT NULL THEN 'date'
              ELSE 'string' END AS type
  FROM (${from}) p
  CROSS JOIN LATERAL (SELECT 'traits' AS field, t.key, t.value FROM jsonb_each(p.traits) t
                      UNION ALL SELECT 'computed', t.key, t.value FROM jsonb_each(p.computed) t) c
  WHERE jsonb_typeof(c.value) <> 'null'`;

/**
 * The observed type of each trait and computed trait of a workspace: the set of JSON types its values
 * have, kept in `segment_trait_types`. Built once from every live profile of the workspace (and again
 * on each full recompute of all its segments), then grown after each profile change, before segments
 * are re-evaluated: every type present is in the set. Validation checks operators and values against
 * it; the compiler uses it to drop branches no value can take (an index-friendly form).
 */
@Injectable()
export class SegmentCatalogService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async catalog(workspaceId: string): Promise<SegmentCatalog> {
    const [built] = await this.dataSource.query(`SELECT 1 FROM segment_trait_catalogs WHERE workspace_id = $1`, [workspaceId]);
    if (!built) await this.rebuild(workspaceId);
    const rows: { field: 'traits' | 'computed'; key: string; type: JsonType }[] = await this.dataSource.query(
      `SELECT field, key, type FROM segment_trait_types WHERE workspace_id = $1`,
      [workspaceId],
    );
    const sets = { traits: new Map<string, Set<JsonType>>(), computed: new Map<string, Set<JsonType>>() };
    for (const row of rows) {
      const set = sets[row.field].get(row.key) ?? new Set<JsonType>();
      set.add(row.type);
      sets[row.field].set(row.key, set);
    }
    const summary = (map: Map<string, Set<JsonType>>) => new Map([...map].map(([key, types]) => [key, summarize(types)]));
    return { traits: summary(sets.traits), computed: summary(sets.computed), types: (field, key) => sets[field].get(key) };
  }

  /** Recomputes the workspace's catalog from all its live profiles (types no value has any more go away). */
  async rebuild(workspaceId: string): Promise<void> {
    await inTransaction(this.dataSource, async (runner) => {
      await runner.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`portrait.segment-catalog:${workspaceId}`]);
      await runner.query(`DELETE FROM segment_trait_types WHERE workspace_id = $1`, [workspaceId]);
      await runner.query(
        `INSERT INTO segment_trait_types (workspace_id, field, key, type)
         SELECT $1, field, key, type FROM (${typesOf(`SELECT traits, computed FROM profiles WHERE workspace_id = $1 AND merged_into IS NULL`)}) t`,
        [workspaceId],
      );
      await runner.query(
        `INSERT INTO segment_trait_catalogs (workspace_id, built_at) VALUES ($1, now()) ON CONFLICT (workspace_id) DO UPDATE SET built_at = now()`,
        [workspaceId],
      );
    });
  }

  /**
   * Adds the types of values a recompute just wrote (`ProfileChange.recomputed`), told apart here
   * rather than read back from the profiles; one statement, none when there is no value.
   */
  async observeValues(workspaceId: string, values: readonly RecomputedValues[]): Promise<void> {
    const seen = new Map<string, { field: 'traits' | 'computed'; key: string; type: JsonType }>();
    for (const profile of values) {
      for (const field of ['traits', 'computed'] as const) {
        for (const [key, value] of Object.entries(profile[field])) {
          const type = jsonTypeOf(value);
          if (type) seen.set(`${field}\u0000${key}\u0000${type}`, { field, key, type });
        }
      }
    }
    if (seen.size === 0) return;
    await this.dataSource.query(
      `INSERT INTO segment_trait_types (workspace_id, field, key, type)
       SELECT $1, x.field, x.key, x.type FROM json_to_recordset($2::json) AS x(field text, key text, type text)
       ON CONFLICT DO NOTHING`,
      [workspaceId, JSON.stringify([...seen.values()])],
    );
  }

  /** Adds the types of these (changed) profiles' values; one statement. */
  async observe(workspaceId: string, profileIds: string[], runner?: QueryRunner): Promise<void> {
    if (profileIds.length === 0) return;
    await (runner ?? this.dataSource).query(
      `INSERT INTO segment_trait_types (workspace_id, field, key, type)
       SELECT $1, field, key, type FROM (${typesOf(`SELECT traits, computed FROM profiles WHERE id IN (SELECT unnest($2::uuid[])) AND workspace_id = $1`)}) t
       ON CONFLICT DO NOTHING`,
      [workspaceId, profileIds],
    );
  }
}
