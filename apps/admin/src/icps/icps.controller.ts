import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IcpsService } from '@portrait/core';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery, uuidParam } from '../openapi/admin-schemas.js';
import { createIcpSchema, icpAccountPageSchema, icpAccountsQuery, icpDistributionSchema, icpPageSchema, icpSchema, updateIcpSchema } from './icp.schemas.js';

/**
 * Ideal customer profiles of a workspace: list, create, read, change, delete, the distribution of
 * fit scores and the scored accounts. A change scores the workspace's accounts again before the
 * answer, so the counts answered are current.
 */
@ApiTags('icps')
@Controller('admin/api/workspaces/:workspace/icps')
export class IcpsController {
  constructor(private readonly icps: IcpsService) {}

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'List ICPs', description: 'Oldest first, each with its criteria, threshold and how many accounts are scored and qualified; page with `cursor`.' })
  @ApiOkResponse({ standardSchema: icpPageSchema, description: 'A page of ICPs' })
  @ApiResponse(INVALID_INPUT)
  listIcps(@CurrentWorkspace() workspace: AdminWorkspace, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.icps.list(workspace.id, query);
  }

  @Post()
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('icp.create', 'icp')
  @ApiOperation({ summary: 'Create an ICP', description: 'Criteria are checked against the condition language and the workspace\'s data; accounts are scored before the answer.' })
  @ApiCreatedResponse({ standardSchema: icpSchema, description: 'The ICP with its counts' })
  @ApiResponse(INVALID_INPUT)
  createIcp(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: createIcpSchema }) body: z.output<typeof createIcpSchema>) {
    return this.icps.create(workspace.id, body);
  }

  @Get(':id')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Get an ICP' })
  @ApiOkResponse({ standardSchema: icpSchema, description: 'The ICP with its counts' })
  getIcp(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.icps.get(workspace.id, id);
  }

  @Patch(':id')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('icp.update', 'icp', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Change an ICP', description: 'The given fields replace the current ones; the whole ICP is checked again and accounts are scored again.' })
  @ApiOkResponse({ standardSchema: icpSchema, description: 'The changed ICP' })
  @ApiResponse(INVALID_INPUT)
  async updateIcp(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Body({ schema: updateIcpSchema }) body: z.output<typeof updateIcpSchema>) {
    const { name, key, description, criteria, threshold } = await this.icps.get(workspace.id, id);
    return this.icps.update(workspace.id, id, { name, key, description, criteria, threshold, ...body });
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('icp.delete', 'icp', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Delete an ICP', description: 'Its scores go; every profile\'s best fit is set again from the ICPs left.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async deleteIcp(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string): Promise<void> {
    await this.icps.delete(workspace.id, id);
  }

  @Get(':id/distribution')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'An ICP\'s score distribution', description: 'How many accounts fall in each ten-point bucket of fit score, and how many are qualified.' })
  @ApiOkResponse({ standardSchema: icpDistributionSchema, description: 'The distribution' })
  getIcpDistribution(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.icps.distribution(workspace.id, id);
  }

  @Get(':id/accounts')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'List an ICP\'s scored accounts', description: 'Account ids with their score, qualification and the criteria they meet, best first; filter with `qualified` and `minScore`, page with `cursor`.' })
  @ApiOkResponse({ standardSchema: icpAccountPageSchema, description: 'A page of scored accounts' })
  @ApiResponse(INVALID_INPUT)
  listIcpAccounts(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: icpAccountsQuery }) query: z.output<typeof icpAccountsQuery>) {
    const { qualified, ...rest } = query;
    return this.icps.accounts(workspace.id, id, { ...rest, ...(qualified === undefined ? {} : { qualified: qualified === 'true' }) });
  }
}
