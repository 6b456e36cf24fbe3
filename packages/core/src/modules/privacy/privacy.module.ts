import { type DynamicModule, Module } from '@nestjs/common';
import { CryptoModule } from '../../engine/crypto/crypto.module.js';
import { IntakeModule } from '../intake/intake.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { SuppressionModule } from '../suppression/suppression.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { PrivacyRequestsService } from './privacy-requests.service.js';
import { PrivacyService } from './privacy.service.js';

/** GDPR access (export) and erasure of profiles, and the privacy requests channels forward (exports sealed at rest). */
@Module({})
export class PrivacyModule {
  /**
   * `holders`: the other modules an erasure asks to delete their rows (segments, sync), passed as the
   * core imports them so that each stays one instance (they are dynamic modules).
   */
  static forRoot(holders: DynamicModule[]): DynamicModule {
    return {
      module: PrivacyModule,
      imports: [ProfilesModule, WebhooksModule, CryptoModule, SuppressionModule, IntakeModule, ...holders],
      providers: [PrivacyService, PrivacyRequestsService],
      exports: [PrivacyService, PrivacyRequestsService],
    };
  }
}
