import { z } from 'zod';

/** An ISO-8601 instant with an offset (`2026-01-31T12:00:00Z`); parsed leniently, documented as date-time. */
export const isoDateTime = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d{2}-\d{2}/.test(value), 'must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z')
  .meta({ format: 'date-time' });

/** A page size query parameter. */
export const pageLimit = z.coerce
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(200, 'must be at most 200')
  .optional()
  .describe('Page size, 1 to 200 (default 50)');

export const pageCursor = z.string().min(1).max(1000).optional().describe('The `nextCursor` of the previous page');

/** Any JSON value (traits, properties). */
export const jsonValue = z.unknown().describe('Any JSON value');
