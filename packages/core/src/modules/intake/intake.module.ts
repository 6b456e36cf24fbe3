import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module.js';
import { IntakeHealth } from './intake-health.js';
import { IntakeLogService } from './intake-log.service.js';
import { IntakeProcessor } from './intake-processor.service.js';

/**
 * The tracking intake: a durable log the tracking API appends accepted messages to, and the processor
 * that drains it into profiles through the ingest (started by the worker, and by the API when no
 * REDIS_URL is configured).
 */
@Module({
  imports: [IngestModule],
  providers: [IntakeLogService, IntakeProcessor, IntakeHealth],
  exports: [IntakeLogService, IntakeProcessor, IntakeHealth],
})
export class IntakeModule {}
