import { Module } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service.js';

/** API keys of the public API (the API app authenticates with it; the CLI manages keys). */
@Module({ providers: [ApiKeysService], exports: [ApiKeysService] })
export class ApiKeysModule {}
