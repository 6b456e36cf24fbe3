import { Module } from '@nestjs/common';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { MergesService } from './merges.service.js';
import { ProfileChangesService } from './profile-changes.service.js';
import { ProfileRecomputeService } from './profile-recompute.service.js';
import { ProfileSettingsService } from './profile-settings.service.js';
import { ProfilesService } from './profiles.service.js';
import { ProfileListingService } from './profile-listing.service.js';
import { RecomputeJobsService } from './recompute-jobs.service.js';

/**
 * Profiles: reads, listing, merges and their undo, profile settings, the recompute of traits and
 * computed traits (per batch, and for whole workspaces as recompute jobs), and the fan-out of committed changes (which the ingest module uses as well).
 */
@Module({
  imports: [WorkspacesModule],
  providers: [MergesService, ProfileChangesService, ProfileRecomputeService, ProfileSettingsService, ProfilesService, ProfileListingService, RecomputeJobsService],
  exports: [MergesService, ProfileChangesService, ProfileRecomputeService, ProfileSettingsService, ProfilesService, ProfileListingService, RecomputeJobsService],
})
export class ProfilesModule {}
