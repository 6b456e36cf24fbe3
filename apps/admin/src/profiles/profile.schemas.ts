import { eventSchema, isoDateTime, jsonValue, pageCursor, pageLimit, profileSchema, profileTraitsVerboseSchema } from '@portrait/core/http';
import { z } from 'zod';
import { mergeSchema } from '../merges/merge.schemas.js';

const nextCursor = z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page');

export const searchProfilesQuery = z
  .object({
    limit: pageLimit,
    cursor: pageCursor,
    identity: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}:.+$/s, 'must be type:value, e.g. email:ana@example.org')
      .max(600, 'must be at most 600 characters')
      .optional()
      .describe('`type:value` of any identifier (`email:Ana@Example.org`, `user_id:42`); the value is normalized as at ingest'),
    name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional().describe('Text found in the first and last name (or `name`), case-insensitively'),
  })
  .superRefine((query, ctx) => {
    if (query.identity !== undefined && query.name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'search by identity or by name, not both' });
  });

export const profileSearchPageSchema = z
  .object({ data: z.array(profileSchema), nextCursor })
  .meta({ id: 'ProfileSearchPage', description: 'Live profiles in the order they last changed; an identity search answers the one profile holding it, or none' });

export const consentSchema = z
  .object({ purpose: z.string(), source: z.string(), granted: z.boolean(), at: isoDateTime.describe('When the source stated it') })
  .meta({ id: 'Consent', description: 'What a source said about a purpose' });

export const traitChangeSchema = z
  .object({
    id: z.string(),
    profileId: z.uuid().describe('The profile it changed on (this one, or one merged into it since)'),
    changes: z.record(z.string(), jsonValue).describe('Per trait: its value before and after, and the source'),
    changedAt: isoDateTime,
  })
  .meta({ id: 'TraitChange' });

export const traitHistoryPageSchema = z.object({ data: z.array(traitChangeSchema), nextCursor }).meta({ id: 'TraitHistoryPage' });

export const profile360Schema = z
  .object({
    profile: profileSchema,
    traits: profileTraitsVerboseSchema.describe('Each trait with the source and time of the value kept, and what every source record says'),
    consents: z.array(consentSchema).describe('By purpose, newest first'),
    recentEvents: z.array(eventSchema).describe('The 20 newest events (all of them: `GET …/profiles/{id}/events`)'),
    segments: z.array(z.object({ id: z.uuid(), key: z.string(), name: z.string(), enteredAt: isoDateTime })).describe('The segments it belongs to now'),
    persona: z
      .object({ id: z.uuid(), key: z.string(), name: z.string(), score: z.number() })
      .nullable()
      .describe('Its best-matching buyer persona and score; null when none reaches its minimum'),
    traitHistory: z.array(traitChangeSchema).describe('The 20 newest trait changes (all of them: `GET …/profiles/{id}/trait-history`)'),
    merges: z.array(mergeSchema).describe('The merges it took part in, newest first'),
  })
  .meta({ id: 'Profile360', description: 'Everything known about a person or an account, in one answer' });

export const profileEventsQuery = z.object({
  limit: pageLimit,
  cursor: pageCursor,
  type: z.string().max(256, 'must be at most 256 characters').optional().describe('Only events of this type, e.g. order_placed'),
});

export const traitHistoryQuery = z.object({
  limit: pageLimit,
  cursor: pageCursor,
  trait: z.string().max(200, 'must be at most 200 characters').optional().describe('Only changes of this trait'),
});
