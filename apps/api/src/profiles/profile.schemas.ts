import { TYPOLOGY_VALUES } from '@portrait/core';
import { z } from 'zod';
import { isoDateTime, pageCursor, pageLimit } from '@portrait/core/http';

const queryFlag = z
  .enum(['true', 'false'])
  .optional()
  .transform((v) => v === 'true');

export const listProfilesQuery = z.object({
  limit: pageLimit,
  cursor: pageCursor,
  updated_since: isoDateTime.optional().describe('Only profiles changed at or after this instant'),
  kind: z.enum(['person', 'account']).optional().describe('Only people, or only accounts'),
  segment: z.string().max(200).optional().describe('Only members of this segment (id)'),
  persona: z.string().max(200).optional().describe('Only profiles whose best-matching persona is this one (id)'),
  typology: z.enum(TYPOLOGY_VALUES, { error: `must be one of ${TYPOLOGY_VALUES.join(', ')}` }).optional().describe('Only people of this typology (`unknown`: too little behaviour to say)'),
});

export const lookupQuery = z.object({
  type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an identifier type in lower snake case, e.g. email').describe('Identifier type: email, phone, user_id, anonymous_id, …'),
  value: z
    .string()
    .min(1, 'must not be empty')
    .max(512)
    .refine((v) => !v.includes('\u0000'), 'must not contain a NUL character')
    .describe('The value, normalized as at ingest (case and spacing of emails, phone formats)'),
});

export const eventsQuery = z.object({
  limit: pageLimit,
  cursor: pageCursor,
  type: z.string().max(256).optional().describe('Only events of this type, e.g. order_placed'),
  since: isoDateTime.optional().describe('Only events that occurred at or after this instant'),
  until: isoDateTime.optional().describe('Only events that occurred before this instant'),
});

export const traitsQuery = z.object({
  verbose: queryFlag.describe('true: each value with its source and observation time, and every source\'s observations'),
});
