import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminUsersService } from '@portrait/core';
import { problemResponse } from '@portrait/core/http';
import type { z } from 'zod';
import { Caller, CurrentWorkspace, type AdminContext, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { uuidParam } from '../openapi/admin-schemas.js';
import { addedMemberSchema, addMemberSchema, changeRoleSchema, memberListSchema, memberSchema, workspaceListSchema } from './workspace.schemas.js';

const LAST_OWNER = problemResponse(409, 'The workspace would be left without an owner (`LAST_OWNER`)');

/** The caller's workspaces, and the people of a workspace with their roles (changed by owners only). */
@ApiTags('workspaces')
@Controller('admin/api/workspaces')
export class WorkspacesController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
  @AdminRoute()
  @ApiOperation({ summary: 'List my workspaces', description: 'The workspaces the caller belongs to, with their role in each.' })
  @ApiOkResponse({ standardSchema: workspaceListSchema, description: 'The caller\'s workspaces' })
  async listWorkspaces(@Caller() caller: AdminContext) {
    return { data: await this.users.memberships(caller.principal.userId) };
  }

  @Get(':workspace/members')
  @AdminRoute({ workspace: true })
  @Audited('member.list', 'workspace')
  @ApiOperation({ summary: 'List members', description: 'The admin users of the workspace with their role.' })
  @ApiOkResponse({ standardSchema: memberListSchema, description: 'The members' })
  async listMembers(@CurrentWorkspace() workspace: AdminWorkspace) {
    return { data: await this.users.members(workspace.id) };
  }

  @Post(':workspace/members')
  @AdminRoute({ workspace: true, mutating: true, role: 'owner' })
  @Audited('member.add', 'admin_user', (result) => (result as { member: { userId: string } }).member.userId)
  @ApiOperation({ summary: 'Invite a member', description: 'Adds an admin user with a role; an unknown e-mail becomes a new user whose generated password is answered once.' })
  @ApiCreatedResponse({ standardSchema: addedMemberSchema, description: 'Added' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(problemResponse(409, 'Already a member (`MEMBER_CONFLICT`): change their role instead'))
  addMember(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: addMemberSchema }) body: z.output<typeof addMemberSchema>) {
    return this.users.addMember(workspace.id, body);
  }

  @Patch(':workspace/members/:userId')
  @AdminRoute({ workspace: true, mutating: true, role: 'owner' })
  @Audited('member.role.change', 'admin_user', 'userId')
  @ApiParam(uuidParam('userId'))
  @ApiOperation({ summary: 'Change a member\'s role' })
  @ApiOkResponse({ standardSchema: memberSchema, description: 'The member with their new role' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(LAST_OWNER)
  changeMemberRole(@CurrentWorkspace() workspace: AdminWorkspace, @Param('userId') userId: string, @Body({ schema: changeRoleSchema }) body: z.output<typeof changeRoleSchema>) {
    return this.users.changeRole(workspace.id, userId, body.role);
  }

  @Delete(':workspace/members/:userId')
  @HttpCode(204)
  @AdminRoute({ workspace: true, mutating: true, role: 'owner' })
  @Audited('member.remove', 'admin_user', 'userId')
  @ApiParam(uuidParam('userId'))
  @ApiOperation({ summary: 'Remove a member', description: 'The user keeps their other workspaces.' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiResponse(LAST_OWNER)
  async removeMember(@CurrentWorkspace() workspace: AdminWorkspace, @Param('userId') userId: string): Promise<void> {
    await this.users.removeMember(workspace.id, userId);
  }
}
