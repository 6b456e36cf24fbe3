import { Module } from '@nestjs/common';
import { CryptoModule } from '../../engine/crypto/crypto.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { PrivacyRequestsService } from './privacy-requests.service.js';
import { PrivacyService } from './privacy.service.js';

/** GDPR access (export) and erasure of profiles, and the privacy requests channels forward (exports sealed at rest). */
@Module({ imports: [ProfilesModule, CryptoModule], providers: [PrivacyService, PrivacyRequestsService], exports: [PrivacyService, PrivacyRequestsService] })
export class PrivacyModule {}
