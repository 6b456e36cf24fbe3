import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { TypologyService } from '@portrait/core';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import {
  replaceTypologySettingsSchema,
  typologyDistributionSchema,
  typologyRecomputedSchema,
  typologySettingsChangedSchema,
  typologySettingsViewSchema,
} from './typology.schemas.js';

/**
 * Customer typology of a workspace: how many people have each typology, the thresholds of the rules
 * (read, replaced), and a classification of every profile on demand. A change of thresholds
 * classifies the workspace again before the answer, so the distribution answered is current.
 */
@ApiTags('typology')
@Controller('admin/api/workspaces/:workspace/typology')
export class TypologyController {
  constructor(private readonly typology: TypologyService) {}

  @Get()
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'Get the typology distribution', description: 'How many live people have each typology (need_based, deal_based, impulsive, loyal, unknown), and how many are not classified yet.' })
  @ApiOkResponse({ standardSchema: typologyDistributionSchema, description: 'People per typology' })
  getTypologyDistribution(@CurrentWorkspace() workspace: AdminWorkspace) {
    return this.typology.distribution(workspace.id);
  }

  @Get('settings')
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'Get the typology thresholds', description: 'The thresholds and precedence in force, and the fields the workspace set itself.' })
  @ApiOkResponse({ standardSchema: typologySettingsViewSchema, description: 'The thresholds in force' })
  getTypologySettings(@CurrentWorkspace() workspace: AdminWorkspace) {
    return this.typology.settings(workspace.id);
  }

  @Put('settings')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('typology.settings.replace', 'workspace')
  @ApiOperation({
    summary: 'Replace the typology thresholds',
    description: 'The workspace\'s own thresholds, whole (a field left out takes its default). Every profile is classified again with them before the answer.',
  })
  @ApiOkResponse({ standardSchema: typologySettingsChangedSchema, description: 'The thresholds in force, the run and the distribution after it' })
  @ApiResponse(INVALID_INPUT)
  replaceTypologySettings(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: replaceTypologySettingsSchema }) body: z.output<typeof replaceTypologySettingsSchema>) {
    return this.typology.replaceSettings(workspace.id, body);
  }

  @Post('recompute')
  @HttpCode(200)
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('typology.recompute', 'workspace')
  @ApiOperation({ summary: 'Classify every profile now', description: 'Each person\'s typology from its behaviour as it is now; each change is a `profile.updated` webhook event, and segments and personas follow.' })
  @ApiOkResponse({ standardSchema: typologyRecomputedSchema, description: 'The run and the distribution after it' })
  recomputeTypology(@CurrentWorkspace() workspace: AdminWorkspace) {
    return this.typology.recompute(workspace.id);
  }
}
