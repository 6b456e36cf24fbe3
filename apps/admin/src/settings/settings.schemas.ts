import {
  blockedValuesSchema,
  computedTraitDefinitionSchema,
  computedTraitListSchema,
  defaultRegionSchema,
  identitySettingsOverrideSchema,
  identityTypeName,
  identityTypeSettingSchema,
  matchKeysSchema,
  nameGuardSchema,
  retentionSettingsSchema,
  traitPrecedenceSchema,
  traitSourcesSchema,
} from '@portrait/core';
import { TRAIT_KEY } from '@portrait/connector-sdk';
import { z } from 'zod';
import { recomputeJobSchema } from '../jobs/job.schemas.js';

const typeSetting = identityTypeSettingSchema.meta({ id: 'IdentityTypeSetting' });

export const identitySettingsSchema = z
  .object({
    types: z.record(z.string(), typeSetting).describe('Per identifier type, its priority and per-profile limit (the built-in types and the workspace\'s own)'),
    fallback: typeSetting.describe('The rule of identifier types not listed in `types`'),
    blockedValues: z.array(z.string()).describe('Normalized values that never match anything (placeholders, test accounts)'),
    defaultRegion: z.string().describe('Region of phone numbers written without a country code (ISO 3166-1 alpha-2)'),
    nameGuard: z.array(z.string()).describe("Identifier types a household may share (a family e-mail, a home phone): a match on one of them alone never joins a profile whose first name differs from the record's"),
    matchKeys: z.array(z.string()).describe('Identifiers derived from traits that the workspace matches on too: `name_postal_code` (Soundex of the last name, first initial, postal code); none by default'),
  })
  .meta({ id: 'IdentitySettings', description: 'The identity rules in force: the workspace\'s overrides over the defaults' });

export const replaceIdentitySettingsSchema = identitySettingsOverrideSchema.meta({
  id: 'ReplaceIdentitySettings',
  description: 'The workspace\'s overrides, replacing the previous ones: listed types replace or add to the built-in ones; an absent field goes back to its default',
});

export const updateIdentitySettingsSchema = z
  .object({
    types: z.record(identityTypeName, typeSetting.nullable()).optional().describe('Per type, its new rule, or null to drop the workspace\'s own rule (a built-in type goes back to its default)'),
    fallback: typeSetting.optional(),
    blockedValues: blockedValuesSchema.optional().describe('Replaces the whole list'),
    defaultRegion: defaultRegionSchema.optional(),
    nameGuard: nameGuardSchema.optional().describe('Replaces the whole list; [] turns the name check off'),
    matchKeys: matchKeysSchema.optional().describe('Replaces the whole list; [] matches on identifiers sent only'),
  })
  .strict()
  .meta({ id: 'UpdateIdentitySettings', description: 'The fields to change; the others keep their value' });

export const traitPrecedenceViewSchema = z
  .object({ traits: z.record(z.string(), z.array(z.string())).describe('Per trait, its sources in order of trust; a trait not listed takes the newest observation') })
  .meta({ id: 'TraitPrecedence' });

const job = recomputeJobSchema.nullable().describe('The backfill of every profile this change queued for the worker (follow it at `GET …/jobs/{id}`); null when nothing needed one');

export const traitPrecedenceChangedSchema = traitPrecedenceViewSchema.extend({ job }).meta({ id: 'TraitPrecedenceChanged' });

export const replaceTraitPrecedenceSchema = z.object({ traits: traitPrecedenceSchema.describe('Per trait, its sources in order of trust') }).strict().meta({ id: 'ReplaceTraitPrecedence' });

export const updateTraitPrecedenceSchema = z
  .object({
    traits: z.record(z.string().regex(TRAIT_KEY, 'must be a trait key, e.g. first_name'), traitSourcesSchema.nullable()).describe('Per trait, its new sources in order of trust, or null to drop its rule'),
  })
  .strict()
  .meta({ id: 'UpdateTraitPrecedence', description: 'The traits to change; the others keep their rule' });

const computedTraitSchema = computedTraitDefinitionSchema
  .safeExtend({ origin: z.enum(['built-in', 'workspace']).describe('`built-in`: a default every workspace has; `workspace`: the workspace\'s own (or its replacement of a built-in)') })
  .meta({ id: 'ComputedTrait' });

export const computedTraitsViewSchema = z.object({ definitions: z.array(computedTraitSchema).describe('The computed traits in force') }).meta({ id: 'ComputedTraits' });

export const computedTraitsChangedSchema = computedTraitsViewSchema.extend({ job }).meta({ id: 'ComputedTraitsChanged' });

export const replaceComputedTraitsSchema = z
  .object({ definitions: computedTraitListSchema.describe('The workspace\'s own definitions, replacing the previous ones: a built-in key replaces the built-in; the other built-ins stay') })
  .strict()
  .meta({ id: 'ReplaceComputedTraits' });

export const updateComputedTraitsSchema = z
  .object({
    set: computedTraitListSchema.optional().describe('Definitions to add, or to replace by key'),
    remove: z.array(z.string().regex(TRAIT_KEY, 'must be a trait key')).max(200).optional().describe('Keys of the workspace\'s own definitions to drop (a replaced built-in comes back)'),
  })
  .strict()
  .meta({ id: 'UpdateComputedTraits', description: 'Definitions to set and keys to remove; the others stay' });

export const retentionViewSchema = z
  .object({
    eventsMonths: z.number().int().describe('Events are kept this many months after they happened'),
    deadLettersMonths: z.number().int().describe('Dead letters (of syncs and of the tracking intake) are kept this many months'),
  })
  .meta({ id: 'Retention', description: 'The retention in force (25 months each unless the workspace sets its own)' });

export const replaceRetentionSchema = retentionSettingsSchema.meta({
  id: 'ReplaceRetention',
  description: "The workspace's retention, replacing the previous one; an absent field goes back to 25 months",
});

export const retentionReportSchema = z
  .object({
    workspaceId: z.uuid(),
    eventsBefore: z.iso.datetime().describe('Events that happened before this time were deleted'),
    deadLettersBefore: z.iso.datetime().describe('Dead letters set aside before this time were deleted'),
    eventsDeleted: z.number().int(),
    deadLettersDeleted: z.number().int().describe('Records of syncs set aside'),
    intakeDeadLettersDeleted: z.number().int().describe('Tracking messages set aside'),
    profilesRecomputed: z.number().int().describe('Profiles that lost events, whose computed traits were recomputed'),
  })
  .meta({ id: 'RetentionReport', description: 'What one pass of retention deleted' });
