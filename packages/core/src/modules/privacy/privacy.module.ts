import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { PrivacyService } from './privacy.service.js';

/** GDPR access (export) and erasure of profiles. */
@Module({ imports: [ProfilesModule], providers: [PrivacyService], exports: [PrivacyService] })
export class PrivacyModule {}
