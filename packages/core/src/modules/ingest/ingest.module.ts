import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { SuppressionModule } from '../suppression/suppression.module.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { IngestService } from './ingest.service.js';

/**
 * Ingest: every source's facts into profiles — validation, identity resolution, the batch's writes
 * and its dead letters, in one transaction with the caller's own statements — and, once the batch
 * committed, the recompute of the traits it changed and the change's publication (through the
 * profiles module's services).
 */
@Module({
  imports: [ProfilesModule, SuppressionModule],
  providers: [IngestPipeline, IngestService],
  exports: [IngestPipeline, IngestService],
})
export class IngestModule {}
