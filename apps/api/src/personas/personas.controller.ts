import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PersonasService, type ApiKeyPrincipal } from '@portrait/core';
import type { z } from 'zod';
import { Principal } from '../auth/principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { personaPageSchema, personaSchema, problemResponse } from '@portrait/core/http';
import { personaPageQuery } from './persona.schemas.js';

const PERSONA_ID = { name: 'id', description: 'A persona id', schema: { type: 'string', format: 'uuid' } } as const;

/** Buyer personas of the key's workspace. Every read is scoped by the workspace of the key; members: `GET /v1/profiles?persona={id}`. */
@ApiTags('personas')
@RequireScope('personas:read')
@Controller('v1')
export class PersonasController {
  constructor(private readonly personas: PersonasService) {}

  @Get('personas')
  @ApiOperation({ summary: 'List personas', description: 'Oldest first, each with its card, rules and current size; page with `cursor`.' })
  @ApiOkResponse({ standardSchema: personaPageSchema, description: 'A page of personas' })
  @ApiResponse(problemResponse(400, 'Invalid query parameters (each offending field is named)'))
  listPersonas(@Principal() principal: ApiKeyPrincipal, @Query({ schema: personaPageQuery }) query: z.output<typeof personaPageQuery>) {
    return this.personas.list(principal.workspaceId, query);
  }

  @Get('personas/:id')
  @ApiOperation({ summary: 'Get a persona', description: 'Its card, matching rules, minimum score and how many profiles are assigned it now. Its profiles: `GET /v1/profiles?persona={id}`.' })
  @ApiParam(PERSONA_ID)
  @ApiOkResponse({ standardSchema: personaSchema, description: 'The persona' })
  @ApiResponse(problemResponse(404, 'No such persona in the key\'s workspace'))
  getPersona(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string) {
    return this.personas.get(principal.workspaceId, id);
  }
}
