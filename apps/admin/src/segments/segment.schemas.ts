import { isoDateTime } from '@portrait/core/http';
import { z } from 'zod';

const condition = z
  .record(z.string(), z.unknown(), { error: 'must be a condition object' })
  .describe(
    'The condition tree (segment language v1): `{all: [...]}`, `{any: [...]}`, `{not: {...}}` over leaves on traits, account traits, computed traits, identities, events, consent, segments, personas and typologies',
  );
const name = z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const key = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'must be 1 to 100 lower-case letters, digits, - or _, starting with a letter or digit')
  .describe('A stable handle, unique in the workspace; derived from the name when absent');
const description = z.string({ error: 'must be a string' }).max(2000, 'must be at most 2000 characters').nullable();

export const segmentSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    key: z.string(),
    description: z.string().nullable(),
    condition,
    languageVersion: z.number().int().describe('Version of the condition language the condition is written in'),
    version: z.number().int().describe('Revision of the condition: 1 when created, bumped by each change of it'),
    timeWindowed: z.boolean().describe('Depends on the clock (event windows, within_last…): also recomputed on a schedule'),
    size: z.number().int().describe('Member count at the last computation'),
    computedAt: isoDateTime.nullable().describe('When membership was last computed'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Segment', description: 'A segment: a condition and its materialized membership' });

export const segmentPageSchema = z
  .object({ data: z.array(segmentSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'SegmentPage' });

export const createSegmentSchema = z.object({ name, condition, key: key.optional(), description: description.optional() }).meta({ id: 'CreateSegment' });

export const updateSegmentSchema = z
  .object({ name: name.optional(), condition: condition.optional(), key: key.optional(), description: description.optional() })
  .meta({ id: 'UpdateSegment', description: 'The fields to change; a changed condition is recomputed at once' });

export const previewSegmentSchema = z.object({ condition }).meta({ id: 'PreviewSegment' });

export const segmentPreviewSchema = z
  .object({
    count: z.number().int().describe('How many profiles match the condition now'),
    sample: z
      .array(z.object({ id: z.uuid(), kind: z.enum(['person', 'account']), traits: z.record(z.string(), z.unknown()) }))
      .describe('The first 20 matching profiles, oldest first'),
  })
  .meta({ id: 'SegmentPreview' });

export const segmentMemberPageSchema = z
  .object({
    data: z.array(z.object({ profileId: z.uuid(), enteredAt: isoDateTime.describe('When the profile entered the segment') })),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'SegmentMemberPage' });

export const sizeHistoryQuery = z.object({
  since: isoDateTime.optional().describe('From this instant (default: all recorded)'),
  limit: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').optional(),
});

export const sizeHistorySchema = z
  .object({ data: z.array(z.object({ at: isoDateTime, size: z.number().int() })).describe('One point per recompute that changed the size or covered the whole segment, oldest first') })
  .meta({ id: 'SegmentSizeHistory' });

export const segmentRunListSchema = z
  .object({
    data: z.array(
      z.object({
        kind: z.enum(['full', 'incremental', 'scheduled']).describe('full: the whole segment (created, changed, daily); incremental: the profiles an ingest changed; scheduled: a clock-dependent segment\'s periodic run'),
        startedAt: isoDateTime,
        durationMs: z.number().int(),
        size: z.number().int().describe('Members after the run'),
        entered: z.number().int(),
        exited: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'SegmentRunList', description: 'The recorded recomputes of a segment, newest first' });

export const segmentRunsQuery = z.object({
  limit: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').optional().describe('How many runs, 1 to 200 (default 50)'),
});

export const segmentDestinationSchema = z
  .object({
    sourceId: z.uuid(),
    source: z.object({
      name: z.string(),
      connectorId: z.string().describe('The connector that receives the segment (an email-marketing tag, an ad audience…)'),
      enabled: z.boolean().describe('A disabled source receives nothing'),
      status: z.enum(['ok', 'needs_attention']).describe('needs_attention: the channel refused its credentials'),
    }),
    connectedAt: isoDateTime,
    options: z
      .record(z.string(), z.unknown())
      .describe("The options the segment was connected with, as the destination's connector takes them (Mailchimp: `audienceId`, `tag`); `{}`: its defaults"),
    lastPush: z
      .object({
        at: isoDateTime,
        outcome: z.enum(['succeeded', 'failed']),
        entered: z.number().int().describe('Members the push added to the destination (or tried to)'),
        exited: z.number().int().describe('Members the push removed from it (or tried to)'),
        synced: z.number().int().describe('Members the channel took'),
        skipped: z.number().int().describe('Members it could not address (no e-mail, …)'),
        error: z.string().nullable().describe('Why the push failed; null when it went through'),
      })
      .nullable()
      .describe('The last push of the segment\'s entered and exited members; null before the first'),
    pending: z
      .object({
        members: z.number().int().describe('Members whose entering or leaving the destination has not confirmed yet'),
        since: isoDateTime.nullable().describe('When the oldest of these changes happened; null when none waits'),
      })
      .describe('What the destination is still owed: a failed push is retried until it goes through, and brings it to the current membership'),
    nextAttemptAt: isoDateTime.nullable().describe('When the next push is due (backed off after failures); null when nothing waits'),
    failedAttempts: z.number().int().describe('Consecutive failed pushes; 0 after a success'),
  })
  .meta({ id: 'SegmentDestination', description: 'A source connected to a segment as its destination' });

export const connectSegmentDestinationSchema = z
  .object({
    options: z
      .record(z.string(), z.unknown(), { error: 'must be an object of options' })
      .optional()
      .describe(
        "The connection's options, as the destination's connector takes them (Mailchimp: `audienceId`, one of the source's audiences, and `tag`, the tag name; default: the first audience and the segment's key). Left out: the connector's defaults. Connecting again with other options replaces them, and the whole current membership is pushed again under them.",
      ),
  })
  .optional()
  .meta({ id: 'ConnectSegmentDestination' });

export const segmentDestinationListSchema = z.object({ data: z.array(segmentDestinationSchema) }).meta({ id: 'SegmentDestinationList' });
