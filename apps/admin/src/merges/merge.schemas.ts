import { isoDateTime } from '@portrait/core/http';
import { z } from 'zod';

export const mergeSchema = z
  .object({
    id: z.uuid(),
    winnerId: z.uuid().describe('The profile that was kept'),
    loserId: z.uuid().describe('The profile merged into it'),
    reason: z
      .object({
        linkedBy: z.array(z.object({ type: z.string(), value: z.string() })).describe('The identifiers the two profiles shared (empty for a merge made by hand)'),
        source: z.string().describe('The source of the record that linked them, or `admin` for a merge made by hand'),
        externalId: z.string().describe('That record\'s id, or for a merge made by hand who made it'),
        actor: z
          .object({ userId: z.uuid().optional(), label: z.string().describe('The user\'s e-mail, or `cli:<os user>`'), via: z.enum(['session', 'token', 'cli']) })
          .optional()
          .describe('A merge made by hand: the admin who made it'),
      })
      .describe('What linked them: the identifiers and the record that brought them together, or the admin who merged them by hand'),
    createdAt: isoDateTime,
    undoneAt: isoDateTime.nullable(),
  })
  .meta({ id: 'Merge' });

export const mergeListSchema = z.object({ data: z.array(mergeSchema) }).meta({ id: 'MergeList' });

export const undoneSchema = z
  .object({ restoredProfileId: z.uuid().describe('The merged-away profile, live again'), survivorId: z.uuid().describe('The profile it had been merged into (or that one\'s survivor)') })
  .meta({ id: 'UndoneMerge' });

const profileId = z.string({ error: 'must be a profile id' }).regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a profile id (uuid)');

export const createMergeSchema = z
  .object({
    survivorId: profileId.describe('The profile to keep'),
    mergedId: profileId.describe('The profile to merge into it'),
  })
  .meta({ id: 'CreateMerge', description: 'Two profiles of the workspace to merge by hand; a merged-away id stands for its surviving profile' });
