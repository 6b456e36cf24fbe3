import { Module } from '@nestjs/common';
import { SecretBox } from './secret-box.js';

/** One `SecretBox` for every module that seals values at rest (source secrets, privacy exports). */
@Module({ providers: [SecretBox], exports: [SecretBox] })
export class CryptoModule {}
