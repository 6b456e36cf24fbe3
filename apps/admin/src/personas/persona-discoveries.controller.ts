import { Body, Controller, Get, Param, ParseIntPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PersonaDiscoveryService, PersonaException } from '@portrait/core';
import { personaSchema, problemResponse } from '@portrait/core/http';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import { uuidParam } from '../openapi/admin-schemas.js';
import { acceptDraftSchema, discoverySchema, startDiscoverySchema } from './persona-discovery.schemas.js';

/** A draft's number in the path: a whole number from 1, or a 400 naming it. */
const draftNumber = new ParseIntPipe({
  exceptionFactory: () => new PersonaException('INVALID_DISCOVERY', 'the draft number must be a whole number', [{ field: 'number', message: 'must be a whole number' }]),
});

/**
 * Persona discovery: a run clusters the workspace's people into draft personas (size, centroid in human
 * units, distinguishing features, rules); an admin accepts a draft, edited or not, as a persona.
 */
@ApiTags('personas')
@Controller('admin/api/workspaces/:workspace/personas/discoveries')
export class PersonaDiscoveriesController {
  constructor(private readonly discovery: PersonaDiscoveryService) {}

  @Post()
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('persona.discovery.start', 'persona_discovery')
  @ApiOperation({
    summary: 'Start a persona discovery',
    description:
      'Clusters the workspace\'s people (k-means over normalized behavioural and demographic features, k chosen by silhouette in `minK`..`maxK`, seeded). A workspace of at most 5,000 people is discovered before the answer (`status: succeeded` with its drafts); a larger one is queued for the worker: follow it at `GET …/discoveries/{id}/drafts`.',
  })
  @ApiCreatedResponse({ standardSchema: discoverySchema, description: 'The run: finished with its drafts, or queued' })
  @ApiResponse(INVALID_INPUT)
  startDiscovery(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: startDiscoverySchema }) body: z.output<typeof startDiscoverySchema>) {
    return this.discovery.start(workspace.id, body);
  }

  @Get(':id/drafts')
  @AdminRoute({ workspace: true })
  @ApiParam(uuidParam('id'))
  @ApiOperation({ summary: 'Get a persona discovery with its drafts', description: 'The run: its status and progress and, once it succeeded, its summary and drafts (largest cluster first).' })
  @ApiOkResponse({ standardSchema: discoverySchema, description: 'The run with its drafts' })
  getDiscovery(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.discovery.get(workspace.id, id);
  }

  @Post(':id/drafts/:number/accept')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('persona.discovery.accept', 'persona')
  @ApiParam(uuidParam('id'))
  @ApiParam({ name: 'number', description: 'The draft\'s number in the run', schema: { type: 'integer', minimum: 1 } })
  @ApiOperation({
    summary: 'Accept a draft as a persona',
    description: 'Creates a persona from the draft\'s proposal with the given edits over it, checked as any persona; the workspace\'s profiles are assigned before the answer. A draft is accepted once (409 after).',
  })
  @ApiCreatedResponse({ standardSchema: personaSchema, description: 'The persona created, with its size' })
  @ApiResponse(INVALID_INPUT)
  @ApiResponse(problemResponse(409, 'The draft is accepted already (`DRAFT_ACCEPTANCE_CONFLICT`).'))
  @ApiResponse(problemResponse(422, 'The run has not succeeded (`DISCOVERY_NOT_FINISHED`).'))
  acceptDraft(
    @CurrentWorkspace() workspace: AdminWorkspace,
    @Param('id') id: string,
    @Param('number', draftNumber) number: number,
    @Body({ schema: acceptDraftSchema }) body: z.output<typeof acceptDraftSchema>,
  ) {
    return this.discovery.accept(workspace.id, id, number, body);
  }
}
