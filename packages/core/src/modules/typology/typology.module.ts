import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { TypologyClassificationService } from './typology-classification.service.js';
import { TypologySettingsService } from './typology-settings.service.js';
import { TypologyService } from './typology.service.js';

/**
 * Customer typology: each person profile is classified need-based, deal-based, impulsive or loyal
 * (or unknown) from its behaviour by documented rules whose thresholds each workspace sets; the
 * typology is kept current after each profile change (before personas and segments) and daily by the
 * worker, stored with its reason and the time it was set.
 */
@Module({
  imports: [ProfilesModule],
  providers: [TypologySettingsService, TypologyClassificationService, TypologyService],
  exports: [TypologyClassificationService, TypologyService],
})
export class TypologyModule {}
