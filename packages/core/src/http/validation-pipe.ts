import { StandardSchemaValidationPipe, type StandardSchemaValidationPipeOptions } from '@nestjs/common';
import { validationProblem } from './api-problem.js';

type Issues = Parameters<NonNullable<StandardSchemaValidationPipeOptions['exceptionFactory']>>[0];

/**
 * Validates every `@Body/@Query/@Param({ schema })` against its zod schema and answers a 400 naming
 * each offending field (`limit: must be at most 200`).
 */
export function schemaValidationPipe(): StandardSchemaValidationPipe {
  return new StandardSchemaValidationPipe({
    exceptionFactory: (issues: Issues) =>
      validationProblem(
        issues.map((issue) => ({
          field: (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(body)',
          message: issue.message,
        })),
      ),
  });
}
