import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { isUuid, MergesService, ProfileException, ProfilesService } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import type { z } from 'zod';
import { Caller, CurrentWorkspace, type AdminContext, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { uuidParam } from '../openapi/admin-schemas.js';
import { createMergeSchema, mergeListSchema, mergeSchema, undoneSchema } from './merge.schemas.js';

/** The merge log of a profile, merging two profiles by hand, and undoing a merge. */
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
  @ApiOkResponse({ standardSchema: mergeListSchema, description: 'The merge log of the profile' })
  async listProfileMerges(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    if (!(await this.profiles.resolveId(workspace.id, id))) throw new ProfileException('PROFILE_NOT_FOUND', `profile ${id} does not exist`);
    return { data: await this.merges.list(workspace.id, { profileId: id, limit: 500 }) };
  }

  @Post('merges')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('merge.create', 'merge')
  @ApiOperation({
    summary: 'Merge two profiles by hand',
    description:
      'The admin picks the survivor: `mergedId` goes into `survivorId` as an ingest merge would — its identities, records, events, consent and account links move, the survivor is recomputed — and the merge is logged with the admin as its reason, undoable with `POST …/merges/{mergeId}/undo`.',
  })
  @ApiCreatedResponse({ standardSchema: mergeSchema, description: 'The merge, as the merge log keeps it' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(problemResponse(409, 'The merged profile would hold more identifiers of a type than the workspace\'s identity rules allow (`MERGE_IDENTITY_CONFLICT`)'))
  mergeProfiles(@Caller() caller: AdminContext, @CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: createMergeSchema }) body: z.output<typeof createMergeSchema>) {
    const { userId, email, via } = caller.principal;
    return this.merges.merge(workspace.id, body.survivorId, body.mergedId, { userId, label: email, via });
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
