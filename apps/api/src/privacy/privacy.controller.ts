import { Controller, Delete, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PrivacyService, type ApiKeyPrincipal } from '@portrait/core';
import { AuditedRead } from '../audit/audited-read.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequireScope } from '../auth/require-scope.decorator.js';
import { erasureReportSchema, problemResponse, profileExportSchema } from '@portrait/core/http';

const PROFILE_ID = { name: 'id', description: 'A profile id (a merged-away id designates its surviving profile)', schema: { type: 'string', format: 'uuid' } } as const;
const NOT_FOUND = problemResponse(404, 'No such profile in the key\'s workspace');

/** GDPR access and erasure, scoped by the key's workspace. */
@ApiTags('privacy')
@Controller('v1/profiles')
export class PrivacyController {
  constructor(private readonly privacy: PrivacyService) {}

  @Get(':id/export')
  @AuditedRead('api.profile.export')
  @RequireScope('profiles:read')
  @ApiOperation({ summary: 'Export everything held on a profile', description: 'Profile, identifiers, source records, trait history, events, consent, account links, merges — of the profile and every profile merged into it.' })
  @ApiParam(PROFILE_ID)
  @ApiOkResponse({ standardSchema: profileExportSchema, description: 'The export' })
  @ApiResponse(NOT_FOUND)
  exportProfile(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string) {
    return this.privacy.export(principal.workspaceId, id);
  }

  @Delete(':id')
  @AuditedRead('api.profile.erase')
  @RequireScope('privacy:write')
  @ApiOperation({ summary: 'Erase a profile', description: 'Deletes the profile and every profile merged into it from every table (right to erasure). Linked accounts stay; their link goes. Irreversible.' })
  @ApiParam(PROFILE_ID)
  @ApiOkResponse({ standardSchema: erasureReportSchema, description: 'What was erased' })
  @ApiResponse(NOT_FOUND)
  eraseProfile(@Principal() principal: ApiKeyPrincipal, @Param('id') id: string) {
    return this.privacy.erase(principal.workspaceId, id);
  }
}
