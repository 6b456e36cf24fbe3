import { isoDateTime } from '@portrait/core/http';
import { z } from 'zod';

export const recomputeJobSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(['backfill', 'clock_refresh']).describe('`backfill`: every profile, after a settings change; `clock_refresh`: the computed traits that move with the clock, hourly'),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    total: z.number().int().nullable().describe('Profiles to recompute, counted when the job started; null while queued'),
    processed: z.number().int().describe('Profiles recomputed so far'),
    error: z.string().nullable().describe('Why a failed job failed'),
    createdAt: isoDateTime,
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
  })
  .meta({ id: 'RecomputeJob', description: 'A job of the worker recomputing the traits and computed traits of a workspace\'s profiles' });
