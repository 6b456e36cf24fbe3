import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PluginRegistry, SourcesService, SyncRunsService, SyncScheduler } from '@portrait/core';
import { validationProblem } from '@portrait/core/http';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery, uuidParam } from '../openapi/admin-schemas.js';
import { runOut } from './run-view.js';
import {
  checkResultSchema,
  createSourceSchema,
  runPageSchema,
  runSchema,
  scheduleSchema,
  sourceListSchema,
  sourceSchema,
  syncRequestSchema,
  updateSourceSchema,
} from './source.schemas.js';

/** Strips what the API does not show of a source (its workspace is in the path). */
const view = <T extends { workspaceId: string }>({ workspaceId: _workspace, ...source }: T) => source;

/**
 * Sources of a workspace: create (configuration checked field by field, secrets sealed), read (secrets
 * masked), change, check the connection, enable, disable, schedule, sync now, their runs, delete.
 */
@ApiTags('sources')
@Controller('admin/api/workspaces/:workspace/sources')
export class SourcesController {
  constructor(
    private readonly sources: SourcesService,
    private readonly registry: PluginRegistry,
    private readonly scheduler: SyncScheduler,
    private readonly runs: SyncRunsService,
  ) {}

  @Post()
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.create', 'source')
  @ApiOperation({
    summary: 'Create a source',
    description: 'The configuration is checked against the connector\'s schema, each bad field named (`config.<field>`); secret fields are sealed at rest and answered as `********`.',
  })
  @ApiCreatedResponse({ standardSchema: sourceSchema, description: 'The source' })
  @ApiResponse(INVALID_INPUT)
  async createSource(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: createSourceSchema }) body: z.output<typeof createSourceSchema>) {
    if (!this.registry.has(body.connectorId)) {
      throw validationProblem([{ field: 'connectorId', message: `no connector "${body.connectorId}" is installed (installed: ${this.registry.list().map((c) => c.manifest.id).join(', ')})` }]);
    }
    return view(await this.sources.create(workspace.id, body));
  }

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'List sources', description: 'Oldest first; secret fields read `********`.' })
  @ApiOkResponse({ standardSchema: sourceListSchema, description: 'The sources' })
  async listSources(@CurrentWorkspace() workspace: AdminWorkspace) {
    return { data: (await this.sources.list(workspace.id)).map(view) };
  }

  @Get(':id')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Get a source' })
  @ApiOkResponse({ standardSchema: sourceSchema, description: 'The source' })
  async getSource(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return view(await this.sources.get(workspace.id, id));
  }

  @Patch(':id')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.update', 'source', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Change a source', description: 'Its name and its configuration; a secret field left out or sent as `********` keeps its stored value.' })
  @ApiOkResponse({ standardSchema: sourceSchema, description: 'The changed source' })
  @ApiResponse(INVALID_INPUT)
  async updateSource(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Body({ schema: updateSourceSchema }) body: z.output<typeof updateSourceSchema>) {
    return view(await this.sources.update(workspace.id, id, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.delete', 'source', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Delete a source', description: 'With its checkpoints, runs and dead letters; the profiles it fed stay.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async deleteSource(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string): Promise<void> {
    await this.sources.delete(workspace.id, id);
  }

  @Post(':id/check')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.check', 'source', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Test a source\'s connection', description: 'Runs the connector\'s check with the stored configuration (up to a minute); the reason never quotes a secret.' })
  @ApiOkResponse({ standardSchema: checkResultSchema, description: 'Whether the connection works, and why not' })
  checkSource(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.sources.check(workspace.id, id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.enable', 'source', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Enable a source', description: 'It syncs on its schedule again.' })
  @ApiOkResponse({ standardSchema: sourceSchema, description: 'The source' })
  async enableSource(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return view(await this.sources.enable(workspace.id, id));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.disable', 'source', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Disable a source', description: 'No more scheduled syncs (a run already going finishes; "sync now" still works).' })
  @ApiOkResponse({ standardSchema: sourceSchema, description: 'The source' })
  async disableSource(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return view(await this.sources.disable(workspace.id, id));
  }

  @Put(':id/schedule')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.schedule.change', 'source', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Set a source\'s schedule', description: 'A cron expression, checked (400 naming `schedule`).' })
  @ApiOkResponse({ standardSchema: sourceSchema, description: 'The source' })
  @ApiResponse(INVALID_INPUT)
  async setSourceSchedule(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Body({ schema: scheduleSchema }) body: z.output<typeof scheduleSchema>) {
    return view(await this.sources.update(workspace.id, id, { schedule: body.schedule }));
  }

  @Post(':id/sync')
  @HttpCode(202)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('source.sync', 'sync_run')
  @ApiParam(uuidParam('id'))
  @ApiOperation({
    summary: 'Sync a source now',
    description:
      'Queues a run, which a worker starts as soon as no other run of the source is running. Follow it with `GET …/runs/{runId}` or its live progress, `GET …/runs/{runId}/events`.',
  })
  // The body may be left out (an incremental sync).
  @ApiBody({ required: false, schema: { $ref: '#/components/schemas/SyncRequest' } })
  @ApiAcceptedResponse({ standardSchema: runSchema, description: 'The queued run' })
  @ApiResponse(INVALID_INPUT)
  async syncSource(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Body({ schema: syncRequestSchema }) body: z.output<typeof syncRequestSchema>) {
    const source = await this.sources.get(workspace.id, id);
    return runOut(await this.scheduler.runNow(source.id, { workspaceId: workspace.id, mode: body?.mode }));
  }

  @Get(':id/runs')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'List a source\'s runs', description: 'Newest first, with their counts per stream, warnings and errors; page with `cursor`.' })
  @ApiOkResponse({ standardSchema: runPageSchema, description: 'A page of runs' })
  @ApiResponse(INVALID_INPUT)
  async listSourceRuns(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    const source = await this.sources.get(workspace.id, id);
    const page = await this.runs.page(workspace.id, source.id, query);
    return { data: page.data.map(runOut), nextCursor: page.nextCursor };
  }
}
