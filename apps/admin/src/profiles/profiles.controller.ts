import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PrivacyService, Profile360Service, ProfileListingService, ProfilesService } from '@portrait/core';
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
    private readonly profile360: Profile360Service,
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
  getProfile(@CurrentWorkspace() workspace: AdminWorkspace, @Param('id') id: string) {
    return this.profile360.get(workspace.id, id);
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
}
