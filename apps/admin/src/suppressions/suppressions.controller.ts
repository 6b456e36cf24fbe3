import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SuppressionService } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';

const suppressionCountsSchema = z
  .object({
    total: z.number().int().describe('Identifiers suppressed'),
    byType: z.record(z.string(), z.number().int()).describe('Per identifier type (`email`, `phone`, …)'),
  })
  .meta({ id: 'SuppressionCounts' });

const liftSuppressionSchema = z
  .object({
    type: z.string({ error: 'must be a string' }).regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an identifier type in lower snake case, e.g. email'),
    value: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(512, 'must be at most 512 characters'),
  })
  .strict()
  .meta({ id: 'LiftSuppression' });

/**
 * The suppression list of a workspace: identifiers of erased people, kept as keyed hashes so that no
 * source brings them back. Counts only (the values are not kept in clear), and lifting one identifier.
 */
@ApiTags('privacy')
@Controller('admin/api/workspaces/:workspace/suppressions')
export class SuppressionsController {
  constructor(private readonly suppression: SuppressionService) {}

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'Count suppressed identifiers', description: 'How many identifiers of erased people the ingest refuses, per type; the values are not kept in clear.' })
  @ApiOkResponse({ standardSchema: suppressionCountsSchema, description: 'The counts' })
  countSuppressions(@CurrentWorkspace() workspace: AdminWorkspace) {
    return this.suppression.counts(workspace.id);
  }

  @Post('lift')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('suppression.lift', 'suppression', () => undefined)
  @ApiOperation({
    summary: 'Lift a suppression',
    description:
      'The identifier (normalized as at ingest) is no longer refused: the next fact carrying it creates or updates a profile. The audit log records the lift and the identifier type, never the value.',
  })
  @ApiOkResponse({ standardSchema: z.object({ lifted: z.literal(true), type: z.string() }).meta({ id: 'SuppressionLifted' }), description: 'Lifted' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(problemResponse(404, 'The identifier is not suppressed (`SUPPRESSION_NOT_FOUND`)'))
  async liftSuppression(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: liftSuppressionSchema }) body: z.output<typeof liftSuppressionSchema>) {
    await this.suppression.lift(workspace.id, body);
    return { lifted: true as const, type: body.type };
  }
}
