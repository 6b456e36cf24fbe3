import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MergesService, PersonaException, PersonasService, PrivacyService, ProfileListingService, ProfilesService, SegmentsService, type ProfileView } from '@portrait/core';
import { erasureReportSchema, eventPageSchema, profileExportSchema } from '@portrait/core/http';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import {
  profile360Schema,
  profileEventsQuery,
  profileSearchPageSchema,
  searchProfilesQuery,
  traitHistoryPageSchema,
  traitHistoryQuery,
} from './profile.schemas.js';

const PROFILE_ID = { name: 'id', description: 'A profile id; a merged-away id stands for the profile it was merged into', schema: { type: 'string', format: 'uuid' } } as const;
/** How many of the newest events and trait changes the profile 360 shows. */
const RECENT = 20;

/**
 * The people (and accounts) of a workspace: search, the profile 360, events, trait history, a data
 * export and erasure. Every route reads or removes personal data, so every one is audited.
 */
@ApiTags('profiles')
@Controller('admin/api/workspaces/:workspace/profiles')
export class ProfilesController {
  constructor(
    private readonly profiles: ProfilesService,
    private readonly listing: ProfileListingService,
    private readonly merges: MergesService,
    private readonly segments: SegmentsService,
    private readonly personas: PersonasService,
    private readonly privacy: PrivacyService,
  ) {}

  @Get()
  @AdminRoute({ workspace: true })
  @Audited('profile.search', 'workspace')
  @ApiOperation({
    summary: 'Search profiles',
    description:
      'By any identifier (`identity=email:ana@example.org`, normalized as at ingest) or by name (`name=ana silva`, found in first and last name, case-insensitively); without either, every live profile. In the order profiles last changed; page with `cursor`.',
  })
  @ApiOkResponse({ standardSchema: profileSearchPageSchema, description: 'A page of profiles' })
  @ApiResponse(INVALID_INPUT)
  async searchProfiles(@CurrentWorkspace() workspace: AdminWorkspace, @Query({ schema: searchProfilesQuery }) query: z.output<typeof searchProfilesQuery>) {
    if (query.identity !== undefined) {
      const at = query.identity.indexOf(':');
      const found = await this.profiles.findByIdentity(workspace.id, query.identity.slice(0, at), query.identity.slice(at + 1));
      return { data: found ? [found] : [], nextCursor: null };
    }
    return this.listing.list(workspace.id, { limit: query.limit, cursor: query.cursor, name: query.name });
  }

  @Get(':id')
  @AdminRoute({ workspace: true })
  @Audited('profile.read', 'profile', 'id')
  @ApiParam(PROFILE_ID)
  @ApiOperation({
    summary: 'Get a profile 360',
    description: 'Identities, traits with their provenance, computed traits, consent, the newest events, segments, persona, the newest trait changes and the merge log, in one answer.',
  })
  @ApiOkResponse({ standardSchema: profile360Schema, description: 'The profile 360' })
  async getProfile(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    const profile = await this.profiles.get(workspace.id, id);
    const [traits, consents, events, segments, persona, traitHistory, merges] = await Promise.all([
      this.profiles.traits(workspace.id, profile.id),
      this.profiles.consents(workspace.id, profile.id),
      this.profiles.events(workspace.id, profile.id, { limit: RECENT }),
      this.segments.profileSegments(workspace.id, profile.id),
      this.personaOf(workspace.id, profile),
      this.profiles.traitHistory(workspace.id, profile.id, { limit: RECENT }),
      this.merges.list(workspace.id, { profileId: profile.id, limit: 500 }),
    ]);
    return {
      profile,
      traits,
      consents,
      recentEvents: events.data,
      segments: segments.segments.map((s) => ({ id: s.id, key: s.key, name: s.name, enteredAt: s.enteredAt })),
      persona,
      traitHistory: traitHistory.data,
      merges,
    };
  }

  @Get(':id/events')
  @AdminRoute({ workspace: true })
  @Audited('profile.events.read', 'profile', 'id')
  @ApiParam(PROFILE_ID)
  @ApiOperation({ summary: 'List a profile\'s events', description: 'Newest first, with the events of profiles merged into it; filter by `type`, page with `cursor`.' })
  @ApiOkResponse({ standardSchema: eventPageSchema, description: 'A page of events' })
  @ApiResponse(INVALID_INPUT)
  listProfileEvents(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: profileEventsQuery }) query: z.output<typeof profileEventsQuery>) {
    return this.profiles.events(workspace.id, id, query);
  }

  @Get(':id/trait-history')
  @AdminRoute({ workspace: true })
  @Audited('profile.trait_history.read', 'profile', 'id')
  @ApiParam(PROFILE_ID)
  @ApiOperation({ summary: 'List a profile\'s trait changes', description: 'Newest first, with the changes of profiles merged into it; `trait` keeps one trait\'s; page with `cursor`.' })
  @ApiOkResponse({ standardSchema: traitHistoryPageSchema, description: 'A page of trait changes' })
  @ApiResponse(INVALID_INPUT)
  listProfileTraitHistory(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string, @Query({ schema: traitHistoryQuery }) query: z.output<typeof traitHistoryQuery>) {
    return this.profiles.traitHistory(workspace.id, id, query);
  }

  @Get(':id/export')
  @AdminRoute({ workspace: true })
  @Audited('profile.export', 'profile', 'id')
  @ApiParam(PROFILE_ID)
  @ApiOperation({
    summary: 'Export everything held on a person',
    description: 'A data subject access request: the profile, identifiers, source records, trait history, events, consent, account links and merges — of the profile and every profile merged into it.',
  })
  @ApiOkResponse({ standardSchema: profileExportSchema, description: 'The export' })
  exportProfile(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.privacy.export(workspace.id, id);
  }

  @Delete(':id')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('profile.erase', 'profile', 'id')
  @ApiParam(PROFILE_ID)
  @ApiOperation({
    summary: 'Erase a person',
    description:
      'The right to erasure: deletes the profile and every profile merged into it from every table — identities, records, events, consent, trait history, merges, segment memberships, webhook deliveries, dead letters holding its identifiers. Linked accounts stay; their link goes. Irreversible.',
  })
  @ApiOkResponse({ standardSchema: erasureReportSchema, description: 'What was erased, per table' })
  eraseProfile(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.privacy.erase(workspace.id, id);
  }

  /** The profile's persona with its name, or null (none assigned, or deleted meanwhile). */
  private async personaOf(workspaceId: string, profile: ProfileView) {
    if (!profile.personaId) return null;
    try {
      const persona = await this.personas.get(workspaceId, profile.personaId);
      return { id: persona.id, key: persona.key, name: persona.name, score: profile.personaScore ?? 0 };
    } catch (error) {
      if (error instanceof PersonaException && error.code === 'PERSONA_NOT_FOUND') return null;
      throw error;
    }
  }
}
