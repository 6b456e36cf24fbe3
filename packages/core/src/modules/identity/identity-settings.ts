import type { CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import { IDENTITY_TYPE } from '@portrait/connector-sdk';

export interface IdentityTypeSetting {
  /** Lower number = higher priority. When a merge would break a limit, lower-priority identifiers give way first. */
  priority: number;
  /** How many distinct values of this type one profile may hold. */
  limit: number;
}

export interface IdentitySettings {
  types: Record<string, IdentityTypeSetting>;
  /** Used for identifier types not listed in `types`. */
  fallback: IdentityTypeSetting;
  /** Normalized values that never match anything (placeholders, test accounts). */
  blockedValues: string[];
  /** Region for phone numbers written without a country code (ISO 3166-1 alpha-2). */
  defaultRegion: CountryCode;
  /**
   * Identifier types a household may share (a family e-mail, a home phone): a match on one of them
   * alone never joins a profile whose first name differs from the record's.
   */
  nameGuard: string[];
  /** Identifiers derived from traits that the workspace matches on too (`name_postal_code`); none by default. */
  matchKeys: MatchKey[];
}

/** The match keys Portrait can derive from traits. */
export const MATCH_KEYS = ['name_postal_code'] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

/** Whether an identifier type is a match key Portrait derives (not an identifier anyone sent). */
export function isMatchKey(type: string): boolean {
  return (MATCH_KEYS as readonly string[]).includes(type);
}

/** The default identifier rules, Segment-style: one id per system of record, several emails/phones, many device ids. */
export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  types: {
    user_id: { priority: 1, limit: 1 },
    shopify_customer_id: { priority: 1, limit: 1 },
    stripe_customer_id: { priority: 1, limit: 1 },
    email: { priority: 2, limit: 5 },
    phone: { priority: 3, limit: 5 },
    mailchimp_member_id: { priority: 4, limit: 5 },
    meta_user_id: { priority: 4, limit: 5 },
    youtube_channel_id: { priority: 4, limit: 5 },
    anonymous_id: { priority: 5, limit: 50 },
    ga_client_id: { priority: 5, limit: 50 },
    name_postal_code: { priority: 6, limit: 5 },
    // accounts (companies)
    domain: { priority: 2, limit: 5 },
    company_id: { priority: 1, limit: 1 },
  },
  fallback: { priority: 10, limit: 5 },
  blockedValues: [
    'test@test.com',
    'test@example.com',
    'example@example.com',
    'noemail@noemail.com',
    'no@email.com',
    'null',
    'undefined',
    'none',
    'n/a',
    'na',
    'unknown',
    '-',
    '0',
    '0000000000',
    '+10000000000',
    '1234567890',
  ],
  defaultRegion: 'US',
  nameGuard: ['email', 'phone', 'name_postal_code'],
  matchKeys: [],
};

const wholeNumber = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** The rule of one identifier type. */
export const identityTypeSettingSchema = z
  .object({
    priority: wholeNumber(0, 1000).describe('Lower is stronger: when a merge would break a limit, lower-priority identifiers give way first'),
    limit: wholeNumber(1, 10_000).describe('How many distinct values of this type one profile may hold'),
  })
  .strict();

/** An identifier type's name: lower snake case, e.g. `email`, `shopify_customer_id`. */
export const identityTypeName = z.string().regex(IDENTITY_TYPE, 'must be lower snake case, e.g. loyalty_card_id');

/** The blocked values: normalized identifiers that never match anything. */
export const blockedValuesSchema = z
  .array(z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(320, 'must be at most 320 characters'), { error: 'must be a list of strings' })
  .max(10_000, 'must be at most 10000 values');

export const defaultRegionSchema = z.string({ error: 'must be a string' }).regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 region, e.g. BR');

export const nameGuardSchema = z
  .array(identityTypeName, { error: 'must be a list of identifier types' })
  .max(100, 'must be at most 100 types')
  .describe("Identifier types a household may share: a match on one of them alone never joins a profile whose first name differs from the record's");

export const matchKeysSchema = z
  .array(z.enum(MATCH_KEYS, { error: `must be one of ${MATCH_KEYS.join(', ')}` }), { error: 'must be a list of match keys' })
  .max(MATCH_KEYS.length, `must be at most ${MATCH_KEYS.length} keys`)
  .describe('Identifiers derived from traits to match on too: `name_postal_code` (Soundex of the last name, first initial, postal code), checked against first names');

/** The workspace-level overrides stored in `workspaces.settings.identity`. */
export const identitySettingsOverrideSchema = z
  .object({
    types: z.record(identityTypeName, identityTypeSettingSchema).optional(),
    fallback: identityTypeSettingSchema.optional(),
    blockedValues: blockedValuesSchema.optional(),
    defaultRegion: defaultRegionSchema.optional(),
    nameGuard: nameGuardSchema.optional(),
    matchKeys: matchKeysSchema.optional(),
  })
  .strict();

export type IdentitySettingsOverride = z.infer<typeof identitySettingsOverrideSchema>;

export function resolveIdentitySettings(override: IdentitySettingsOverride | undefined): IdentitySettings {
  if (!override) return DEFAULT_IDENTITY_SETTINGS;
  return {
    types: { ...DEFAULT_IDENTITY_SETTINGS.types, ...override.types },
    fallback: override.fallback ?? DEFAULT_IDENTITY_SETTINGS.fallback,
    blockedValues: override.blockedValues ?? DEFAULT_IDENTITY_SETTINGS.blockedValues,
    defaultRegion: (override.defaultRegion as CountryCode | undefined) ?? DEFAULT_IDENTITY_SETTINGS.defaultRegion,
    nameGuard: override.nameGuard ?? DEFAULT_IDENTITY_SETTINGS.nameGuard,
    matchKeys: override.matchKeys ?? DEFAULT_IDENTITY_SETTINGS.matchKeys,
  };
}

export function settingFor(settings: IdentitySettings, type: string): IdentityTypeSetting {
  return settings.types[type] ?? settings.fallback;
}
