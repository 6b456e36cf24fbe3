import { Module } from '@nestjs/common';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { IngestService } from './ingest.service.js';
import { MergesService } from './merges.service.js';
import { ProfileChangesService } from './profile-changes.service.js';
import { ProfileRecomputeService } from './profile-recompute.service.js';
import { ProfileSettingsService } from './profile-settings.service.js';
import { ProfilesService } from './profiles.service.js';
import { ProfileListingService } from './profile-listing.service.js';

/** Profiles: ingest (identity resolution, traits, events, consent, accounts), reads, merges. */
@Module({
  imports: [WorkspacesModule],
  providers: [IngestService, MergesService, ProfileChangesService, ProfileRecomputeService, ProfileSettingsService, ProfilesService, ProfileListingService],
  exports: [IngestService, MergesService, ProfileChangesService, ProfileRecomputeService, ProfileSettingsService, ProfilesService, ProfileListingService],
})
export class ProfilesModule {}
