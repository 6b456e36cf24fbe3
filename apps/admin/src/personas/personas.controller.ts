import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PersonasService } from '@portrait/core';
import { personaPageSchema, personaSchema } from '@portrait/core/http';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { pageQuery, uuidParam } from '../openapi/admin-schemas.js';
import { createPersonaSchema, personaMemberPageSchema, updatePersonaSchema } from './persona.schemas.js';

/**
 * Buyer personas of a workspace: list with their sizes, create, read, change, delete, members. A
 * change assigns the workspace's profiles again before the answer, so the sizes answered are current.
 */
@ApiTags('personas')
@Controller('admin/api/workspaces/:workspace/personas')
export class PersonasController {
  constructor(private readonly personas: PersonasService) {}

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'List personas', description: 'Oldest first, each with its card, rules and size (profiles assigned it now); page with `cursor`.' })
  @ApiOkResponse({ standardSchema: personaPageSchema, description: 'A page of personas' })
  @ApiResponse(INVALID_INPUT)
  listPersonas(@CurrentWorkspace() workspace: AdminWorkspace, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.personas.list(workspace.id, query);
  }

  @Post()
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('persona.create', 'persona')
  @ApiOperation({ summary: 'Create a persona', description: 'Rules are checked against the condition language and the workspace\'s data; profiles are assigned before the answer.' })
  @ApiCreatedResponse({ standardSchema: personaSchema, description: 'The persona with its size' })
  @ApiResponse(INVALID_INPUT)
  createPersona(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: createPersonaSchema }) body: z.output<typeof createPersonaSchema>) {
    return this.personas.create(workspace.id, body);
  }

  @Get(':id')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Get a persona' })
  @ApiOkResponse({ standardSchema: personaSchema, description: 'The persona with its size' })
  getPersona(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.personas.get(workspace.id, id);
  }

  @Patch(':id')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('persona.update', 'persona', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Change a persona', description: 'The given fields replace the current ones; the whole persona is checked again and profiles are assigned again.' })
  @ApiOkResponse({ standardSchema: personaSchema, description: 'The changed persona' })
  @ApiResponse(INVALID_INPUT)
  async updatePersona(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Body({ schema: updatePersonaSchema }) body: z.output<typeof updatePersonaSchema>) {
    const { name, key, summary, card, rules, minScore } = await this.personas.get(workspace.id, id);
    return this.personas.update(workspace.id, id, { name, key, summary, card, rules, minScore, ...body });
  }

  @Delete(':id')
  @HttpCode(204)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('persona.delete', 'persona', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Delete a persona', description: 'Its profiles get their next best persona, or none.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  async deletePersona(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string): Promise<void> {
    await this.personas.delete(workspace.id, id);
  }

  @Get(':id/members')
  @AdminRoute({ workspace: true })
  @Audited('persona.members.read', 'persona', 'id')
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'List a persona\'s profiles', description: 'Profile ids assigned the persona, with their score, in id order; page with `cursor`.' })
  @ApiOkResponse({ standardSchema: personaMemberPageSchema, description: 'A page of members' })
  @ApiResponse(INVALID_INPUT)
  listPersonaMembers(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: pageQuery }) query: z.output<typeof pageQuery>) {
    return this.personas.members(workspace.id, id, query);
  }
}
