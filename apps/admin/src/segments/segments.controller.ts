import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { SegmentDestinationsService, SegmentEditorService, SegmentsService } from '@portrait/core';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery, uuidParam } from '../openapi/admin-schemas.js';
import {
  connectSegmentDestinationSchema,
  createSegmentSchema,
  previewSegmentSchema,
  segmentDestinationListSchema,
  segmentDestinationSchema,
  segmentMemberPageSchema,
  segmentPageSchema,
  segmentPreviewSchema,
  segmentRunListSchema,
  segmentRunsQuery,
  segmentSchema,
  sizeHistoryQuery,
  sizeHistorySchema,
  updateSegmentSchema,
} from './segment.schemas.js';

/** The stored `definition` is the API's `condition`. */
const view = <T extends { definition: unknown }>({ definition, ...segment }: T) => ({ ...segment, condition: definition });

/** Segments of a workspace: create, list with member counts, read, change, delete, preview a condition, members, size history, runs, destinations. */
@ApiTags('segments')
@Controller('admin/api/workspaces/:workspace/segments')
export class SegmentsController {
  constructor(
    private readonly segments: SegmentsService,
    private readonly editor: SegmentEditorService,
    private readonly destinations: SegmentDestinationsService,
  ) {}

  @Post()
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('segment.create', 'segment')
  @ApiOperation({ summary: 'Create a segment', description: 'The condition is checked against the language and the workspace\'s data; membership is computed before the answer.' })
  @ApiCreatedResponse({ standardSchema: segmentSchema, description: 'The segment with its member count' })
  @ApiResponse(INVALID_INPUT)
  async createSegment(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: createSegmentSchema }) body: z.output<typeof createSegmentSchema>) {
    return view(await this.editor.create(workspace.id, body));
  }

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'List segments', description: 'Oldest first, each with its member count (`size`); page with `cursor`.' })
  @ApiOkResponse({ standardSchema: segmentPageSchema, description: 'A page of segments' })
  @ApiResponse(INVALID_INPUT)
  async listSegments(@CurrentWorkspace() workspace: AdminWorkspace, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    const page = await this.segments.list(workspace.id, query);
    return { data: page.data.map(view), nextCursor: page.nextCursor };
  }

  @Post('preview')
  @HttpCode(200)
  // Changes nothing: viewers may preview too (a cookie session still sends its CSRF token, as on every POST).
  @AdminRoute({ workspace: true, mutating: true, role: 'viewer' })
  @Audited('segment.preview', 'workspace')
  @ApiOperation({ summary: 'Preview a condition', description: 'How many profiles a condition not yet saved matches now, and the first 20 of them.' })
  @ApiOkResponse({ standardSchema: segmentPreviewSchema, description: 'The count and a sample' })
  @ApiResponse(INVALID_INPUT)
  previewSegment(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: previewSegmentSchema }) body: z.output<typeof previewSegmentSchema>) {
    return this.editor.preview(workspace.id, body.condition);
  }

  @Get(':id')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Get a segment' })
  @ApiOkResponse({ standardSchema: segmentSchema, description: 'The segment' })
  async getSegment(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return view(await this.segments.get(workspace.id, id));
  }

  @Patch(':id')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('segment.update', 'segment', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Change a segment', description: 'Name, key, description and condition; a changed condition is recomputed before the answer.' })
  @ApiOkResponse({ standardSchema: segmentSchema, description: 'The changed segment' })
  @ApiResponse(INVALID_INPUT)
  async updateSegment(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Body({ schema: updateSegmentSchema }) body: z.output<typeof updateSegmentSchema>) {
    return view(await this.editor.update(workspace.id, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('segment.delete', 'segment', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Delete a segment', description: 'Refused (400, field `id`) while another segment refers to it.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiResponse(INVALID_INPUT)
  async deleteSegment(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string): Promise<void> {
    await this.segments.delete(workspace.id, id);
  }

  @Get(':id/members')
  @AdminRoute({ workspace: true })
  @Audited('segment.members.read', 'segment', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'List a segment\'s members', description: 'Profile ids in id order with the time each entered; page with `cursor`.' })
  @ApiOkResponse({ standardSchema: segmentMemberPageSchema, description: 'A page of members' })
  @ApiResponse(INVALID_INPUT)
  listSegmentMembers(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.segments.members(workspace.id, id, query);
  }

  @Get(':id/size-history')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'A segment\'s size history' })
  @ApiOkResponse({ standardSchema: sizeHistorySchema, description: 'Sizes over time' })
  @ApiResponse(INVALID_INPUT)
  async getSegmentSizeHistory(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: sizeHistoryQuery }) query: z.output<typeof sizeHistoryQuery>) {
    return { data: await this.segments.sizeHistory(workspace.id, id, query) };
  }

  @Get(':id/runs')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'A segment\'s runs', description: 'Each recompute of the segment: its kind, when it started, how long it took, the size after it and who entered and left.' })
  @ApiOkResponse({ standardSchema: segmentRunListSchema, description: 'The runs, newest first' })
  @ApiResponse(INVALID_INPUT)
  async listSegmentRuns(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: segmentRunsQuery }) query: z.output<typeof segmentRunsQuery>) {
    return { data: await this.segments.runs(workspace.id, id, query.limit) };
  }

  @Get(':id/destinations')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'List a segment\'s destinations', description: 'The sources its entered and exited members are pushed to, each with its last push, the members it is still owed and when the next push is due.' })
  @ApiOkResponse({ standardSchema: segmentDestinationListSchema, description: 'The connected destinations' })
  async listSegmentDestinations(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return { data: await this.destinations.list(workspace.id, id) };
  }

  @Put(':id/destinations/:sourceId')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('segment.destination.connect', 'segment', 'id')
  @ApiParam(uuidParam('id'))
  @ApiParam(uuidParam('sourceId'))
  @ApiOperation({
    summary: 'Connect a destination',
    description:
      'A source of the workspace whose connector receives segments: the segment\'s current members are pushed to it, then who enters and leaves; a failed push is retried with backoff until it goes through. Idempotent. The body\'s `options` (Mailchimp: `audienceId`, `tag`) are checked by the destination\'s connector (400 `INVALID_DESTINATION` naming `options.<field>`); connecting again with other options replaces them and pushes the whole current membership again under them (what went out under the old ones stays in the channel).',
  })
  // The body may be left out (the destination's default options).
  @ApiBody({ required: false, schema: { $ref: '#/components/schemas/ConnectSegmentDestination' } })
  @ApiOkResponse({ standardSchema: segmentDestinationSchema, description: 'The connected destination' })
  @ApiResponse(INVALID_INPUT)
  connectSegmentDestination(
    @CurrentWorkspace() workspace: AdminWorkspace,
    @Param('id') id: string,
    @Param('sourceId') sourceId: string,
    @Body({ schema: connectSegmentDestinationSchema }) body: z.output<typeof connectSegmentDestinationSchema>,
  ) {
    return this.destinations.connect(workspace.id, id, sourceId, body?.options ?? {});
  }

  @Post(':id/destinations/push')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('segment.destination.push', 'segment', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({
    summary: 'Push to every destination now',
    description: 'Pushes at once what each destination of the segment is still owed, without waiting for its next attempt, and answers the destinations with the outcome. A destination another process is pushing at that moment is left to it.',
  })
  @ApiOkResponse({ standardSchema: segmentDestinationListSchema, description: 'The destinations after the push' })
  async pushSegmentDestinations(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return { data: await this.destinations.pushNow(workspace.id, id) };
  }

  @Post(':id/destinations/:sourceId/push')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('segment.destination.push', 'segment', 'id')
  @ApiParam(uuidParam('id'))
  @ApiParam(uuidParam('sourceId'))
  @ApiOperation({ summary: 'Push to a destination now', description: 'Pushes at once what this destination is still owed, without waiting for its next attempt, and answers it with the outcome.' })
  @ApiOkResponse({ standardSchema: segmentDestinationSchema, description: 'The destination after the push' })
  async pushSegmentDestination(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Param('sourceId') sourceId: string) {
    const [destination] = await this.destinations.pushNow(workspace.id, id, sourceId);
    return destination;
  }

  @Delete(':id/destinations/:sourceId')
  @HttpCode(204)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('segment.destination.disconnect', 'segment', 'id')
  @ApiParam(uuidParam('id'))
  @ApiParam(uuidParam('sourceId'))
  @ApiOperation({ summary: 'Disconnect a destination', description: 'Nothing more is pushed to it (the pushes still pending are dropped); what it received stays there.' })
  @ApiNoContentResponse({ description: 'Disconnected' })
  async disconnectSegmentDestination(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Param('sourceId') sourceId: string): Promise<void> {
    await this.destinations.disconnect(workspace.id, id, sourceId);
  }
}
