import type { ApiResponseOptions } from '@nestjs/swagger';
import { z } from 'zod';

/** The RFC 9457 problem document every error is answered with (see api-problem.ts). */
export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem: urn:portrait:problem:<code in kebab case>'),
    title: z.string().describe('The HTTP status text'),
    status: z.number().int().describe('The HTTP status code'),
    detail: z.string().describe('What went wrong, for people'),
    code: z.string().describe('What went wrong, for programs: stable, e.g. PROFILE_NOT_FOUND, VALIDATION_FAILED, RATE_LIMITED'),
    errors: z
      .array(z.object({ field: z.string().describe('Dotted path of the offending field, e.g. batch.3.event'), message: z.string() }))
      .optional()
      .describe('On 400s: each offending field'),
  })
  .meta({ id: 'Problem', description: 'An error (RFC 9457 problem details), served as application/problem+json' });

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

type HeaderObject = { description: string; schema: Record<string, unknown> };

/** An error response of a route, documented as a problem+json document. */
export function problemResponse(status: number, description: string, headers?: Record<string, HeaderObject>): ApiResponseOptions {
  return { status, description, content: { 'application/problem+json': { schema: PROBLEM_REF } }, ...(headers ? { headers } : {}) };
}
