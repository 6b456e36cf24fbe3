import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { poolQuery } from '../../engine/database/sql.js';
import { resolveTypologySettings, typologySettingsInputSchema, type TypologySettings, type TypologySettingsInput } from './typology-settings.js';
import { TypologyException } from './typology.exception.js';

/** Where a workspace's thresholds live in `workspaces.settings`. */
const SETTINGS_KEY = 'typology';

/** A workspace's typology thresholds: its own (as stored) and those in force (over the defaults). */
@Injectable()
export class TypologySettingsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The thresholds in force. */
  async get(workspaceId: string, manager?: EntityManager): Promise<TypologySettings> {
    return resolveTypologySettings(await this.stored(workspaceId, manager));
  }

  /** The workspace's own thresholds (empty: every default). */
  async stored(workspaceId: string, manager?: EntityManager): Promise<TypologySettingsInput> {
    const sql = `SELECT settings -> '${SETTINGS_KEY}' AS typology FROM workspaces WHERE id = $1`;
    const [row]: { typology: unknown }[] = manager ? await manager.query(sql, [workspaceId]) : await poolQuery(this.dataSource, sql, [workspaceId]);
    if (!row) throw new TypologyException('WORKSPACE_NOT_FOUND', `workspace ${workspaceId} does not exist`);
    // Stored settings were validated when written; a value that no longer passes is ignored rather than failing every ingest.
    const parsed = typologySettingsInputSchema.safeParse(row.typology ?? {});
    return parsed.success ? parsed.data : {};
  }

  /**
   * Replaces the workspace's own thresholds (a field left out takes its default), checked field by
   * field: INVALID_TYPOLOGY_SETTINGS naming each field (`loyal.minOrders`), nothing stored then.
   */
  async replace(workspaceId: string, input: unknown): Promise<TypologySettings> {
    const parsed = typologySettingsInputSchema.safeParse(input);
    if (!parsed.success) {
      throw new TypologyException(
        'INVALID_TYPOLOGY_SETTINGS',
        'invalid typology settings',
        parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
      );
    }
    const [{ updated }]: { updated: number }[] = await this.dataSource.query(
      `WITH u AS (UPDATE workspaces SET settings = jsonb_set(settings, '{${SETTINGS_KEY}}', $2::jsonb) WHERE id = $1 RETURNING id) SELECT count(*)::int AS updated FROM u`,
      [workspaceId, JSON.stringify(parsed.data)],
    );
    if (!updated) throw new TypologyException('WORKSPACE_NOT_FOUND', `workspace ${workspaceId} does not exist`);
    return resolveTypologySettings(parsed.data);
  }
}
