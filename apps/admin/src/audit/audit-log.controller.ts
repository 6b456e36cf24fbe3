import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuditLogService } from '@portrait/core';
import { isoDateTime } from '@portrait/core/http';
import { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery } from '../openapi/admin-schemas.js';

const auditEntrySchema = z
  .object({
    id: z.string(),
    at: isoDateTime,
    actor: z.object({ userId: z.uuid().nullable(), label: z.string().describe('The user\'s e-mail, `cli:<os user>`, or `api_key:<key id>` for a read through the public API'), via: z.enum(['session', 'token', 'cli', 'api_key']) }),
    action: z.string().describe('What was done: `segment.create`, `merge.undo`, `segment.members.read`…'),
    target: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
    ip: z.string().nullable().describe('The client address'),
  })
  .meta({ id: 'AuditEntry' });

/** The audit log of a workspace, for its owners. */
@ApiTags('audit log')
@Controller('admin/api/workspaces/:workspace/audit-log')
export class AuditLogController {
  constructor(private readonly audit: AuditLogService) {}

  @Get()
  @AdminRoute({ workspace: true, role: 'owner' })
  @ApiOperation({ summary: 'Read the audit log', description: 'Every change and every read of personal data in the workspace, newest first; page with `cursor`.' })
  @ApiOkResponse({
    standardSchema: z.object({ data: z.array(auditEntrySchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') }).meta({ id: 'AuditLogPage' }),
    description: 'A page of entries',
  })
  @ApiResponse(INVALID_INPUT)
  readAuditLog(@CurrentWorkspace() workspace: AdminWorkspace, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.audit.list(workspace.id, query);
  }
}
