import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RetentionService } from '@portrait/core';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute } from '../openapi/admin-route.decorators.js';
import { retentionReportSchema } from './settings.schemas.js';

/** Applying a workspace's retention now, rather than at the worker's next daily pass. */
@ApiTags('settings')
@Controller('admin/api/workspaces/:workspace/retention')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Post('apply')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('retention.apply', 'workspace')
  @ApiOperation({
    summary: 'Apply the retention now',
    description: 'Deletes the events and dead letters older than the retention (`GET …/settings/retention`) and recomputes the computed traits of the profiles that lost events.',
  })
  @ApiOkResponse({ standardSchema: retentionReportSchema, description: 'What was deleted' })
  apply(@CurrentWorkspace() workspace: AdminWorkspace) {
    return this.retention.apply(workspace.id);
  }
}
