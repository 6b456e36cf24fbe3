import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RecomputeJobsService } from '@portrait/core';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { AdminRoute } from '../openapi/admin-route.decorators.js';
import { uuidParam } from '../openapi/admin-schemas.js';
import { recomputeJobSchema } from './job.schemas.js';

/** The worker's jobs of a workspace, and their progress. */
@ApiTags('jobs')
@Controller('admin/api/workspaces/:workspace/jobs')
export class JobsController {
  constructor(private readonly jobs: RecomputeJobsService) {}

  @Get(':id')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Get a job', description: 'Its status and progress: `processed` of `total` profiles.' })
  @ApiOkResponse({ standardSchema: recomputeJobSchema, description: 'The job' })
  getJob(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.jobs.get(workspace.id, id);
  }
}
