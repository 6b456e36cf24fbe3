import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { SegmentCatalogService } from '../segments/segment-catalog.service.js';
import { IcpScoringService } from './icp-scoring.service.js';
import { IcpsService } from './icps.service.js';

/**
 * Ideal customer profiles: weighted criteria over accounts (their firmographic traits, and how many
 * of their people behave some way) in the segment condition language; each account holds a fit score
 * per ICP and each profile its best fit, kept current after each profile change (before segments are
 * re-evaluated) and re-scored across the workspace when an ICP changes. The stateless observed-types
 * catalog is provided here too, as personas do, rather than importing SegmentsModule.
 */
@Module({
  imports: [ProfilesModule],
  providers: [IcpsService, IcpScoringService, SegmentCatalogService],
  exports: [IcpsService, IcpScoringService],
})
export class IcpsModule {}
