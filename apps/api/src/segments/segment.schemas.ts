import { z } from 'zod';
import { isoDateTime, pageCursor, pageLimit } from '@portrait/core/http';

export const segmentSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    definition: z
      .record(z.string(), z.unknown())
      .describe('The condition tree (segment language v1): `{all: [...]}`, `{any: [...]}`, `{not: {...}}` over leaves on traits, account traits, computed traits, identities, events, consent, segments, personas and typologies'),
    languageVersion: z.number().int().describe('Version of the condition language the definition is written in'),
    timeWindowed: z.boolean().describe('Depends on the clock (event windows, within_last…): also recomputed on a schedule'),
    size: z.number().int().describe('Members at the last computation'),
    computedAt: isoDateTime.nullable().describe('When membership was last computed; null before the first computation'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Segment', description: 'A segment: a definition and its materialized membership' });

export const segmentPageSchema = z
  .object({ data: z.array(segmentSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'SegmentPage' });

export const segmentMemberSchema = z
  .object({ profileId: z.uuid(), enteredAt: isoDateTime.describe('When the profile entered the segment') })
  .meta({ id: 'SegmentMember' });

export const segmentMemberPageSchema = z
  .object({ data: z.array(segmentMemberSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'SegmentMemberPage' });

export const profileSegmentsSchema = z
  .object({
    profileId: z.uuid().describe('The profile asked for, or the profile it was merged into'),
    segments: z.array(segmentSchema.extend({ enteredAt: isoDateTime })),
  })
  .meta({ id: 'ProfileSegments' });

export const pageQuery = z.object({ limit: pageLimit, cursor: pageCursor });
