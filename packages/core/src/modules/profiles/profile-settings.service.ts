import { Injectable } from '@nestjs/common';
import { poolQuery } from '../../engine/database/sql.js';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { SOURCE_ID, TRAIT_KEY } from '@portrait/connector-sdk';
import { z } from 'zod';
import { identitySettingsOverrideSchema, resolveIdentitySettings, type IdentitySettings } from '../identity/identity-settings.js';
import { computedTraitDefinitionSchema, resolveComputedTraits } from '../traits/computed-trait.definition.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { ProfileException } from './profile.exception.js';
import { queueRecomputeJob } from './recompute-job-queue.js';

/** A trait's sources in order of trust. */
export const traitSourcesSchema = z
  .array(z.string({ error: 'must be a string' }).regex(SOURCE_ID, 'must be a source id, e.g. shopify'), { error: 'must be a list of source ids' })
  .min(1, 'must name at least one source')
  .max(50, 'must be at most 50 sources');

/** Per trait, the sources in order of trust: `{ "email": ["shopify", "stripe"] }`; a trait not listed takes the newest observation. */
export const traitPrecedenceSchema = z.record(z.string().regex(TRAIT_KEY, 'must be a trait key, e.g. first_name'), traitSourcesSchema);

/** A workspace's own computed traits: each key once (a built-in key replaces the built-in). */
export const computedTraitListSchema = z
  .array(computedTraitDefinitionSchema, { error: 'must be a list of computed-trait definitions' })
  .max(200, 'must be at most 200 definitions')
  .superRefine((definitions, ctx) => {
    const seen = new Set<string>();
    for (const [i, d] of definitions.entries()) {
      if (seen.has(d.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `${d.key} is defined twice` });
      seen.add(d.key);
    }
  });

/** How long raw data is kept, in months (default 25 each): events by when they happened, dead letters by when they were set aside. */
export const retentionSettingsSchema = z.strictObject({
  eventsMonths: z.number({ error: 'must be a number of months' }).int('must be a whole number of months').min(1, 'must be at least 1 month').max(1200, 'must be at most 1200 months').optional(),
  deadLettersMonths: z.number({ error: 'must be a number of months' }).int('must be a whole number of months').min(1, 'must be at least 1 month').max(1200, 'must be at most 1200 months').optional(),
});
/** The retention of a workspace that sets none. */
export const DEFAULT_RETENTION_MONTHS = 25;

/** What a workspace configures about its profiles, stored in `workspaces.settings`. */
export const profileSettingsSchema = z
  .object({
    identity: identitySettingsOverrideSchema.optional(),
    /** Per trait, the sources in order of trust: `{ "email": ["shopify", "stripe"] }`. */
    traitPrecedence: traitPrecedenceSchema.optional(),
    /** Extra or replacing computed traits (same key replaces a default). */
    computedTraits: computedTraitListSchema.optional(),
    /** How long events and dead letters are kept (months). */
    retention: retentionSettingsSchema.optional(),
  })
  .passthrough();

/** The parts of the profile settings a workspace sets, each replaced whole by `replace`. */
export const PROFILE_SETTINGS_PARTS = ['identity', 'traitPrecedence', 'computedTraits', 'retention'] as const;
export type ProfileSettingsPart = (typeof PROFILE_SETTINGS_PARTS)[number];
/** What a workspace stored: its overrides of the defaults, per part. */
export type StoredProfileSettings = Pick<z.output<typeof profileSettingsSchema>, ProfileSettingsPart>;
/** Parts as given to `replace` (defaults, such as a definition's empty `where`, may be left out). */
export type ProfileSettingsParts = { [K in ProfileSettingsPart]?: z.input<typeof profileSettingsSchema>[K] | null };

export type ProfileSettingsInput = z.input<typeof profileSettingsSchema>;

export interface ProfileSettings {
  identity: IdentitySettings;
  traitPrecedence: Record<string, string[]>;
  computedTraits: ReturnType<typeof resolveComputedTraits>;
  retention: { eventsMonths: number; deadLettersMonths: number };
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
      retention: {
        eventsMonths: parsed.data.retention?.eventsMonths ?? DEFAULT_RETENTION_MONTHS,
        deadLettersMonths: parsed.data.retention?.deadLettersMonths ?? DEFAULT_RETENTION_MONTHS,
      },
    };
  }

  /** Validates and stores the profile settings of a workspace (other settings keys are kept). */
  async update(workspaceId: string, input: ProfileSettingsInput): Promise<void> {
    await this.workspaces.mergeSettings(workspaceId, validated(input));
  }

  /** The workspace's own settings (its overrides of the defaults), as stored. */
  async stored(workspaceId: string): Promise<StoredProfileSettings> {
    const [row] = await poolQuery<{ settings: unknown }>(this.dataSource, `SELECT settings FROM workspaces WHERE id = $1`, [workspaceId]);
    if (!row) throw new ProfileException('WORKSPACE_NOT_FOUND', `workspace ${workspaceId} does not exist`);
    const { identity, traitPrecedence, computedTraits, retention } = validated(row.settings ?? {});
    return { identity, traitPrecedence, computedTraits, retention };
  }

  /**
   * Replaces parts of a workspace's profile settings (a part given as null goes back to the defaults),
   * validated field by field (INVALID_SETTINGS naming each field; nothing is stored then). A change of
   * trait precedence or of computed-trait definitions changes what every existing profile should hold:
   * in the same transaction, a `backfill` recompute job is queued for the worker. Answers that job's id
   * (null when nothing that needs one changed).
   */
  async replace(workspaceId: string, parts: ProfileSettingsParts): Promise<{ backfillJobId: string | null }> {
    const before = await this.stored(workspaceId);
    const after = { ...before };
    for (const part of PROFILE_SETTINGS_PARTS) {
      if (parts[part] !== undefined) (after as Record<string, unknown>)[part] = parts[part] ?? undefined;
    }
    const checked = validated(after);
    const changed = (part: ProfileSettingsPart) => JSON.stringify(before[part] ?? null) !== JSON.stringify(checked[part] ?? null);
    return this.dataSource.transaction(async (manager) => {
      const given = PROFILE_SETTINGS_PARTS.filter((part) => parts[part] !== undefined);
      const patch = Object.fromEntries(given.filter((part) => checked[part] !== undefined).map((part) => [part, checked[part]]));
      const dropped = given.filter((part) => checked[part] === undefined);
      await manager.query(`UPDATE workspaces SET settings = (settings || $2::jsonb) - $3::text[] WHERE id = $1`, [workspaceId, JSON.stringify(patch), dropped]);
      const backfill = changed('traitPrecedence') || changed('computedTraits');
      return { backfillJobId: backfill ? await queueRecomputeJob(manager, workspaceId, 'backfill') : null };
    });
  }
}

function validated(input: unknown): z.output<typeof profileSettingsSchema> {
  const parsed = profileSettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new ProfileException('INVALID_SETTINGS', 'invalid profile settings', {
      errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return parsed.data;
}
