import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { isUuid, MergesService, ProfileException, ProfilesService } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute } from '../openapi/admin-route.decorators.js';
import { uuidParam } from '../openapi/admin-schemas.js';

const mergeSchema = z
  .object({
    id: z.uuid(),
    winnerId: z.uuid().describe('The profile that was kept'),
    loserId: z.uuid().describe('The profile merged into it'),
    reason: z
      .object({
        linkedBy: z.array(z.object({ type: z.string(), value: z.string() })).describe('The identifiers the two profiles shared'),
        source: z.string(),
        externalId: z.string(),
      })
      .describe('What linked them: the identifiers and the record that brought them together'),
    createdAt: z.string().meta({ format: 'date-time' }),
    undoneAt: z.string().meta({ format: 'date-time' }).nullable(),
  })
  .meta({ id: 'Merge' });
const undoneSchema = z
  .object({ restoredProfileId: z.uuid().describe('The merged-away profile, live again'), survivorId: z.uuid().describe('The profile it had been merged into (or that one\'s survivor)') })
  .meta({ id: 'UndoneMerge' });

/** The merge log of a profile, and undoing a merge. */
@ApiTags('merges')
@Controller('admin/api/workspaces/:workspace')
export class MergesController {
  constructor(
    private readonly merges: MergesService,
    private readonly profiles: ProfilesService,
  ) {}

  @Get('profiles/:id/merges')
  @AdminRoute({ workspace: true })
  @Audited('profile.merges.read', 'profile', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'List a profile\'s merges', description: 'Merges the profile took part in, as survivor or as merged-away profile, newest first.' })
  @ApiOkResponse({ standardSchema: z.object({ data: z.array(mergeSchema) }).meta({ id: 'MergeList' }), description: 'The merge log of the profile' })
  async listProfileMerges(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    if (!(await this.profiles.resolveId(workspace.id, id))) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    return { data: await this.merges.list(workspace.id, { profileId: id, limit: 500 }) };
  }

  @Post('merges/:mergeId/undo')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('merge.undo', 'merge', 'mergeId')
  @ApiParam(uuidParam('mergeId'))
  @ApiOperation({
    summary: 'Undo a merge',
    description: 'The merged-away profile lives again with the identities, records, events and consent that came through it; both profiles are recomputed.',
  })
  @ApiOkResponse({ standardSchema: undoneSchema, description: 'Undone' })
  @ApiResponse(problemResponse(409, 'Already undone (`MERGE_ALREADY_UNDONE`), or the profile was merged elsewhere since (`MERGE_NOT_UNDOABLE`)'))
  undoMerge(@CurrentWorkspace() workspace: AdminWorkspace, @Param('mergeId') mergeId: string) {
    if (!isUuid(mergeId)) throw new ProfileException('MERGE_NOT_FOUND', `merge ${mergeId} does not exist`);
    return this.merges.unmerge(workspace.id, mergeId);
  }
}
