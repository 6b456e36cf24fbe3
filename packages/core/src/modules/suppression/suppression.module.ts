import { Module } from '@nestjs/common';
import { CryptoModule } from '../../engine/crypto/crypto.module.js';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { SuppressionService } from './suppression.service.js';

/** The suppression list: identifiers of erased people, as keyed hashes, that the ingest refuses to bring back. */
@Module({
  imports: [ProfilesModule, CryptoModule],
  providers: [SuppressionService],
  exports: [SuppressionService],
})
export class SuppressionModule {}
