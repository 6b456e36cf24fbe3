import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { RetentionService } from './retention.service.js';

/** Retention of raw events and dead letters, per workspace. */
@Module({
  imports: [ProfilesModule],
  providers: [RetentionService],
  exports: [RetentionService],
})
export class RetentionModule {}
