import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IntakeLogService } from '@portrait/core';
import { ApiProblem, isoDateTime, problemResponse } from '@portrait/core/http';
import { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery } from '../openapi/admin-schemas.js';

const deadLetterFields = {
  id: z.string().describe('The dead letter (a number)'),
  reason: z.string().describe('Why the ingest refused the message'),
  receivedAt: isoDateTime.describe('When the tracking API accepted it'),
  deadLetteredAt: isoDateTime.describe('When the ingest refused it'),
};

const intakeDeadLetterPageSchema = z
  .object({
    data: z.array(z.object(deadLetterFields).meta({ id: 'IntakeDeadLetterSummary', description: 'An intake dead letter without its message' })).describe('Newest first'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'IntakeDeadLetterPage' });

const intakeDeadLetterSchema = z
  .object({ ...deadLetterFields, message: z.unknown().describe('The message as the tracking API accepted it, as a fact (personal data: reading it is audited)') })
  .meta({ id: 'IntakeDeadLetter' });

/**
 * The tracking intake's dead letters: messages the tracking API accepted (they were valid) that the
 * ingest then refused — every identifier a blocked value, a limit — kept with the reason.
 */
@ApiTags('tracking intake')
@Controller('admin/api/workspaces/:workspace/intake/dead-letters')
export class IntakeController {
  constructor(private readonly intake: IntakeLogService) {}

  @Get()
  @AdminRoute({ workspace: true })
  @Audited('intake.dead_letters.read', 'workspace')
  @ApiOperation({ summary: 'List the intake dead letters', description: 'Tracking messages accepted then refused by the ingest, with the reason, without the message; newest first, page with `cursor`.' })
  @ApiOkResponse({ standardSchema: intakeDeadLetterPageSchema, description: 'A page of dead letters' })
  @ApiResponse(INVALID_INPUT)
  listIntakeDeadLetters(@CurrentWorkspace() workspace: AdminWorkspace, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.intake.deadLetters(workspace.id, query);
  }

  @Get(':deadLetterId')
  @AdminRoute({ workspace: true })
  @Audited('intake.dead_letter.read', 'intake_dead_letter', 'deadLetterId')
  @ApiParam({ name: 'deadLetterId', description: 'An intake dead letter id', schema: { type: 'string', pattern: '^[0-9]+$' } })
  @ApiOperation({ summary: 'Get an intake dead letter', description: 'With the message as the tracking API accepted it (personal data: the read is written to the audit log).' })
  @ApiOkResponse({ standardSchema: intakeDeadLetterSchema, description: 'The dead letter' })
  @ApiResponse(problemResponse(404, 'No such dead letter in the workspace'))
  async getIntakeDeadLetter(@CurrentWorkspace() workspace: AdminWorkspace, @Param('deadLetterId') id: string) {
    const found = await this.intake.deadLetter(workspace.id, id);
    if (!found) throw new ApiProblem(404, 'DEAD_LETTER_NOT_FOUND', `intake dead letter ${id} does not exist`);
    return found;
  }
}
