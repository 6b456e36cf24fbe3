import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PersonaException, PersonasService, ProfileListingService, ProfilesService, SegmentException, SegmentsService, type ApiKeyPrincipal } from '@portrait/core';
import type { z } from 'zod';
import { AuditedRead } from '../audit/audited-read.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { ApiProblem } from '@portrait/core/http';
import { eventPageSchema, problemResponse, profilePageSchema, profileSchema, profileTraitsResponseSchema } from '@portrait/core/http';
import { eventsQuery, listProfilesQuery, lookupQuery, traitsQuery } from './profile.schemas.js';

const PROFILE_ID = { name: 'id', description: 'A profile id; an id merged into another profile answers with the surviving profile', schema: { type: 'string', format: 'uuid' } } as const;
const NOT_FOUND = problemResponse(404, 'No such profile in the key\'s workspace');
const INVALID = problemResponse(400, 'Invalid query parameters (each offending field is named)');

/** Profiles of the key's workspace. Every read is scoped by the workspace of the key. */
@ApiTags('profiles')
@RequireScope('profiles:read')
@Controller('v1/profiles')
export class ProfilesController {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly listing: ProfileListingService,
    private readonly segments: SegmentsService,
    private readonly personas: PersonasService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List profiles',
    description:
      'Live profiles in the order they last changed, oldest change first; page with `cursor`. `updated_since` fetches what changed since a previous sync; `segment` keeps the members of a segment, `persona` the profiles assigned a persona, `typology` those of a typology (filters combine).',
  })
  @ApiOkResponse({ standardSchema: profilePageSchema, description: 'A page of profiles' })
  @ApiResponse(INVALID)
  async listProfiles(@Principal() principal: ApiKeyPrincipal, @Query({ schema: listProfilesQuery }) query: z.output<typeof listProfilesQuery>) {
    if (query.persona !== undefined) {
      await this.personas.get(principal.workspaceId, query.persona).catch((error: unknown) => {
        if (error instanceof PersonaException && error.code === 'PERSONA_NOT_FOUND') {
          throw new ApiProblem(400, 'INVALID_FILTER', `persona ${query.persona} does not exist`, { errors: [{ field: 'persona', message: 'no such persona in this workspace' }] });
        }
        throw error;
      });
    }
    const page = { limit: query.limit, cursor: query.cursor, updatedSince: query.updated_since, kind: query.kind, personaId: query.persona, typology: query.typology };
    if (query.segment !== undefined) {
      return this.segments.memberProfiles(principal.workspaceId, query.segment, page).catch((error: unknown) => {
        if (error instanceof SegmentException && error.code === 'SEGMENT_NOT_FOUND') {
          throw new ApiProblem(400, 'INVALID_FILTER', `segment ${query.segment} does not exist`, { errors: [{ field: 'segment', message: 'no such segment in this workspace' }] });
        }
        throw error;
      });
    }
    return this.listing.list(principal.workspaceId, page);
  }

  @Get('lookup')
  @AuditedRead('api.profile.lookup')
  @ApiOperation({ summary: 'Find a profile by an identifier', description: 'Any identifier type; the value is normalized as at ingest, so `Ana@X.com ` finds `ana@x.com`.' })
  @ApiOkResponse({ standardSchema: profileSchema, description: 'The profile holding this identifier' })
  @ApiResponse(INVALID)
  @ApiResponse(problemResponse(404, 'No profile holds this identifier'))
  async lookupProfile(@Principal() principal: ApiKeyPrincipal, @Query({ schema: lookupQuery }) query: z.output<typeof lookupQuery>) {
    const profile = await this.profiles.findByIdentity(principal.workspaceId, query.type, query.value);
    if (!profile) throw new ApiProblem(404, 'PROFILE_NOT_FOUND', `no profile has the ${query.type} ${JSON.stringify(query.value)}`);
    return profile;
  }

  @Get(':id')
  @AuditedRead('api.profile.read')
  @ApiOperation({ summary: 'Get a profile', description: 'Follows merges: a merged-away id answers with the surviving profile, with `mergedFrom` set to the id asked for.' })
  @ApiParam(PROFILE_ID)
  @ApiOkResponse({ standardSchema: profileSchema, description: 'The profile' })
  @ApiResponse(NOT_FOUND)
  async getProfile(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string) {
    return this.profiles.get(principal.workspaceId, id);
  }

  @Get(':id/events')
  @AuditedRead('api.profile.events.read')
  @ApiOperation({ summary: 'List a profile\'s events', description: 'Newest first, including events of profiles merged into it; filter by `type` and time.' })
  @ApiParam(PROFILE_ID)
  @ApiOkResponse({ standardSchema: eventPageSchema, description: 'A page of events' })
  @ApiResponse(INVALID)
  @ApiResponse(NOT_FOUND)
  async listProfileEvents(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string, @Query({ schema: eventsQuery }) query: z.output<typeof eventsQuery>) {
    return this.profiles.events(principal.workspaceId, id, query);
  }

  @Get(':id/traits')
  @AuditedRead('api.profile.traits.read')
  @ApiOperation({ summary: 'Get a profile\'s traits', description: 'Values only, or with `verbose=true` each value with its source and observation time, and what every source says.' })
  @ApiParam(PROFILE_ID)
  @ApiOkResponse({ standardSchema: profileTraitsResponseSchema, description: 'The traits' })
  @ApiResponse(INVALID)
  @ApiResponse(NOT_FOUND)
  async getProfileTraits(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string, @Query({ schema: traitsQuery }) query: z.output<typeof traitsQuery>) {
    const traits = await this.profiles.traits(principal.workspaceId, id);
    if (query.verbose) return traits;
    return { profileId: traits.profileId, traits: Object.fromEntries(Object.entries(traits.traits).map(([key, t]) => [key, t.value])) };
  }
}
