import { Injectable } from '@nestjs/common';
import { poolQuery } from '../../engine/database/sql.js';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { identitySettingsOverrideSchema, resolveIdentitySettings, type IdentitySettings } from '../identity/identity-settings.js';
import { computedTraitDefinitionSchema, resolveComputedTraits } from '../traits/computed-trait.definition.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { ProfileException } from './profile.exception.js';

/** What a workspace configures about its profiles, stored in `workspaces.settings`. */
export const profileSettingsSchema = z
  .object({
    identity: identitySettingsOverrideSchema.optional(),
    /** Per trait, the sources in order of trust: `{ "email": ["shopify", "stripe"] }`. */
    traitPrecedence: z.record(z.string(), z.array(z.string()).min(1)).optional(),
    /** Extra or replacing computed traits (same key replaces a default). */
    computedTraits: z.array(computedTraitDefinitionSchema).optional(),
  })
  .passthrough();

export type ProfileSettingsInput = z.input<typeof profileSettingsSchema>;

export interface ProfileSettings {
  identity: IdentitySettings;
  traitPrecedence: Record<string, string[]>;
  computedTraits: ReturnType<typeof resolveComputedTraits>;
}

@Injectable()
export class ProfileSettingsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly workspaces: WorkspacesService,
  ) {}

  async get(workspaceId: string, manager: EntityManager = this.dataSource.manager): Promise<ProfileSettings> {
    const sql = `SELECT settings FROM workspaces WHERE id = $1`;
    // Outside a transaction (API reads), straight through the pool.
    const [row] = manager === this.dataSource.manager ? await poolQuery<{ settings: unknown }>(this.dataSource, sql, [workspaceId]) : await manager.query(sql, [workspaceId]);
    if (!row) throw new ProfileException('WORKSPACE_NOT_FOUND', `workspace ${workspaceId} does not exist`);
    const parsed = profileSettingsSchema.safeParse(row.settings ?? {});
    if (!parsed.success) throw new ProfileException('INVALID_SETTINGS', `workspace ${workspaceId} has invalid profile settings: ${parsed.error.message}`);
    return {
      identity: resolveIdentitySettings(parsed.data.identity),
      traitPrecedence: parsed.data.traitPrecedence ?? {},
      computedTraits: resolveComputedTraits(parsed.data.computedTraits),
    };
  }

  /** Validates and stores the profile settings of a workspace (other settings keys are kept). */
  async update(workspaceId: string, input: ProfileSettingsInput): Promise<void> {
    const parsed = profileSettingsSchema.safeParse(input);
    if (!parsed.success) {
      throw new ProfileException('INVALID_SETTINGS', 'invalid profile settings', {
        errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    await this.workspaces.mergeSettings(workspaceId, parsed.data);
  }
}
