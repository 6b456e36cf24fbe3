import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SegmentsService, type ApiKeyPrincipal } from '@portrait/core';
import type { z } from 'zod';
import { Principal } from '../auth/principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { problemResponse } from '@portrait/core/http';
import { pageQuery, profileSegmentsSchema, segmentMemberPageSchema, segmentPageSchema, segmentSchema } from './segment.schemas.js';

const SEGMENT_ID = { name: 'id', description: 'A segment id', schema: { type: 'string', format: 'uuid' } } as const;
const PROFILE_ID = { name: 'id', description: 'A profile id; an id merged into another profile answers for the surviving profile', schema: { type: 'string', format: 'uuid' } } as const;
const INVALID = problemResponse(400, 'Invalid query parameters (each offending field is named)');

/** Segments of the key's workspace and their members. Every read is scoped by the workspace of the key. */
@ApiTags('segments')
@RequireScope('segments:read')
@Controller('v1')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Get('segments')
  @ApiOperation({ summary: 'List segments', description: 'Oldest first; page with `cursor`.' })
  @ApiOkResponse({ standardSchema: segmentPageSchema, description: 'A page of segments' })
  @ApiResponse(INVALID)
  listSegments(@Principal() principal: ApiKeyPrincipal, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.segments.list(principal.workspaceId, query);
  }

  @Get('segments/:id')
  @ApiOperation({ summary: 'Get a segment', description: 'Its definition, size and when it was last computed.' })
  @ApiParam(SEGMENT_ID)
  @ApiOkResponse({ standardSchema: segmentSchema, description: 'The segment' })
  @ApiResponse(problemResponse(404, 'No such segment in the key\'s workspace'))
  getSegment(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string) {
    return this.segments.get(principal.workspaceId, id);
  }

  @Get('segments/:id/members')
  @ApiOperation({ summary: 'List a segment\'s members', description: 'Profile ids in id order with the time each entered; page with `cursor`. Full profiles: `GET /v1/profiles?segment={id}`.' })
  @ApiParam(SEGMENT_ID)
  @ApiOkResponse({ standardSchema: segmentMemberPageSchema, description: 'A page of members' })
  @ApiResponse(INVALID)
  @ApiResponse(problemResponse(404, 'No such segment in the key\'s workspace'))
  listSegmentMembers(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.segments.members(principal.workspaceId, id, query);
  }

  @Get('profiles/:id/segments')
  @ApiOperation({ summary: 'List a profile\'s segments', description: 'The segments the profile (or the profile it was merged into) belongs to now.' })
  @ApiParam(PROFILE_ID)
  @ApiOkResponse({ standardSchema: profileSegmentsSchema, description: 'The profile\'s segments' })
  @ApiResponse(problemResponse(404, 'No such profile in the key\'s workspace'))
  getProfileSegments(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string) {
    return this.segments.profileSegments(principal.workspaceId, id);
  }
}
