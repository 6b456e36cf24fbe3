import { Body, Controller, Get, Patch, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ProfileSettingsService, RecomputeJobsService, type StoredProfileSettings } from '@portrait/core';
import { validationProblem } from '@portrait/core/http';
import type { z } from 'zod';
import { CurrentWorkspace, type AdminWorkspace } from '../auth/admin-request.js';
import { Audited } from '../audit/audited.decorator.js';
import { AdminRoute, INVALID_INPUT } from '../openapi/admin-route.decorators.js';
import {
  computedTraitsChangedSchema,
  computedTraitsViewSchema,
  identitySettingsSchema,
  replaceComputedTraitsSchema,
  replaceRetentionSchema,
  replaceIdentitySettingsSchema,
  replaceTraitPrecedenceSchema,
  retentionViewSchema,
  traitPrecedenceChangedSchema,
  traitPrecedenceViewSchema,
  updateComputedTraitsSchema,
  updateIdentitySettingsSchema,
  updateTraitPrecedenceSchema,
} from './settings.schemas.js';

/** Sets `key` of a record to a value, or drops it for null. */
function applyEntries<T>(record: Record<string, T> | undefined, changes: Record<string, T | null>): Record<string, T> {
  const next = { ...record };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * A workspace's profile settings, each part read, replaced (PUT) or changed (PATCH): identity rules,
 * trait source precedence, computed-trait definitions. A change of precedence or definitions queues the
 * backfill of every existing profile, answered as `job`.
 */
@ApiTags('settings')
@Controller('admin/api/workspaces/:workspace/settings')
export class SettingsController {
  constructor(
    private readonly settings: ProfileSettingsService,
    private readonly jobs: RecomputeJobsService,
  ) {}

  @Get('identity')
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'Get the identity rules', description: 'Identifier types with their priority and per-profile limit, blocked values, the default phone region.' })
  @ApiOkResponse({ standardSchema: identitySettingsSchema, description: 'The rules in force' })
  async getIdentitySettings(@CurrentWorkspace() workspace: AdminWorkspace) {
    return (await this.settings.get(workspace.id)).identity;
  }

  @Put('identity')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('settings.identity.replace', 'workspace')
  @ApiOperation({ summary: 'Replace the identity rules', description: 'The workspace\'s overrides, whole. They apply to the identities resolved from now on; existing profiles are not re-resolved.' })
  @ApiOkResponse({ standardSchema: identitySettingsSchema, description: 'The rules in force' })
  @ApiResponse(INVALID_INPUT)
  async replaceIdentitySettings(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: replaceIdentitySettingsSchema }) body: z.output<typeof replaceIdentitySettingsSchema>) {
    await this.settings.replace(workspace.id, { identity: body });
    return this.getIdentitySettings(workspace);
  }

  @Patch('identity')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('settings.identity.update', 'workspace')
  @ApiOperation({ summary: 'Change identity rules', description: 'Types are changed one by one (null drops the workspace\'s rule of a type); the other fields given replace theirs.' })
  @ApiOkResponse({ standardSchema: identitySettingsSchema, description: 'The rules in force' })
  @ApiResponse(INVALID_INPUT)
  async updateIdentitySettings(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: updateIdentitySettingsSchema }) body: z.output<typeof updateIdentitySettingsSchema>) {
    const { identity } = await this.settings.stored(workspace.id);
    const { types, ...rest } = body;
    await this.settings.replace(workspace.id, { identity: { ...identity, ...rest, ...(types ? { types: applyEntries(identity?.types, types) } : {}) } });
    return this.getIdentitySettings(workspace);
  }

  @Get('trait-precedence')
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'Get the trait source precedence', description: 'Per trait, its sources in order of trust.' })
  @ApiOkResponse({ standardSchema: traitPrecedenceViewSchema, description: 'The precedence in force' })
  async getTraitPrecedence(@CurrentWorkspace() workspace: AdminWorkspace) {
    return { traits: (await this.settings.get(workspace.id)).traitPrecedence };
  }

  @Put('trait-precedence')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('settings.trait_precedence.replace', 'workspace')
  @ApiOperation({ summary: 'Replace the trait source precedence', description: 'A change recomputes every existing profile\'s traits: a backfill job of the worker, answered as `job`.' })
  @ApiOkResponse({ standardSchema: traitPrecedenceChangedSchema, description: 'The precedence in force, and the backfill it queued' })
  @ApiResponse(INVALID_INPUT)
  async replaceTraitPrecedence(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: replaceTraitPrecedenceSchema }) body: z.output<typeof replaceTraitPrecedenceSchema>) {
    return this.changeTraitPrecedence(workspace, body.traits);
  }

  @Patch('trait-precedence')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('settings.trait_precedence.update', 'workspace')
  @ApiOperation({ summary: 'Change the precedence of some traits', description: 'Null drops a trait\'s rule. A change queues the backfill of every existing profile, answered as `job`.' })
  @ApiOkResponse({ standardSchema: traitPrecedenceChangedSchema, description: 'The precedence in force, and the backfill it queued' })
  @ApiResponse(INVALID_INPUT)
  async updateTraitPrecedence(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: updateTraitPrecedenceSchema }) body: z.output<typeof updateTraitPrecedenceSchema>) {
    const { traitPrecedence } = await this.settings.stored(workspace.id);
    return this.changeTraitPrecedence(workspace, applyEntries(traitPrecedence, body.traits));
  }

  @Get('computed-traits')
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'Get the computed-trait definitions', description: 'The built-in definitions and the workspace\'s own.' })
  @ApiOkResponse({ standardSchema: computedTraitsViewSchema, description: 'The definitions in force' })
  async getComputedTraits(@CurrentWorkspace() workspace: AdminWorkspace) {
    const [{ computedTraits }, stored] = await Promise.all([this.settings.get(workspace.id), this.settings.stored(workspace.id)]);
    const own = new Set((stored.computedTraits ?? []).map((d) => d.key));
    return { definitions: computedTraits.map((d) => ({ ...d, origin: own.has(d.key) ? ('workspace' as const) : ('built-in' as const) })) };
  }

  @Put('computed-traits')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('settings.computed_traits.replace', 'workspace')
  @ApiOperation({
    summary: 'Replace the workspace\'s computed traits',
    description: 'Its own definitions, whole (a built-in key replaces the built-in). A change backfills every existing profile: a job of the worker, answered as `job`.',
  })
  @ApiOkResponse({ standardSchema: computedTraitsChangedSchema, description: 'The definitions in force, and the backfill queued' })
  @ApiResponse(INVALID_INPUT)
  async replaceComputedTraits(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: replaceComputedTraitsSchema }) body: z.output<typeof replaceComputedTraitsSchema>) {
    return this.changeComputedTraits(workspace, body.definitions);
  }

  @Patch('computed-traits')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('settings.computed_traits.update', 'workspace')
  @ApiOperation({ summary: 'Change some computed traits', description: 'Definitions set by key, keys removed. A change backfills every existing profile: a job of the worker, answered as `job`.' })
  @ApiOkResponse({ standardSchema: computedTraitsChangedSchema, description: 'The definitions in force, and the backfill queued' })
  @ApiResponse(INVALID_INPUT)
  async updateComputedTraits(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: updateComputedTraitsSchema }) body: z.output<typeof updateComputedTraitsSchema>) {
    const own = (await this.settings.stored(workspace.id)).computedTraits ?? [];
    const unknown = (body.remove ?? []).flatMap((key, i) => (own.some((d) => d.key === key) ? [] : [{ field: `remove.${i}`, message: `${key} is not one of the workspace's own definitions` }]));
    if (unknown.length) throw validationProblem(unknown);
    const byKey = new Map(own.filter((d) => !body.remove?.includes(d.key)).map((d) => [d.key, d]));
    for (const d of body.set ?? []) byKey.set(d.key, d);
    return this.changeComputedTraits(workspace, [...byKey.values()]);
  }

  @Get('retention')
  @AdminRoute({ workspace: true })
  @ApiOperation({ summary: 'Get the retention', description: 'How many months events and dead letters are kept; the worker deletes what is older once a day.' })
  @ApiOkResponse({ standardSchema: retentionViewSchema, description: 'The retention in force' })
  async getRetention(@CurrentWorkspace() workspace: AdminWorkspace) {
    return (await this.settings.get(workspace.id)).retention;
  }

  @Put('retention')
  @AdminRoute({ workspace: true, mutating: true })
  @Audited('settings.retention.replace', 'workspace')
  @ApiOperation({ summary: 'Replace the retention', description: 'Months of events and dead letters to keep (1–1200; an absent field goes back to 25). The next pass of the worker, or `POST …/retention/apply`, deletes what is older.' })
  @ApiOkResponse({ standardSchema: retentionViewSchema, description: 'The retention in force' })
  @ApiResponse(INVALID_INPUT)
  async replaceRetention(@CurrentWorkspace() workspace: AdminWorkspace, @Body({ schema: replaceRetentionSchema }) body: z.output<typeof replaceRetentionSchema>) {
    await this.settings.replace(workspace.id, { retention: Object.keys(body).length ? body : null });
    return this.getRetention(workspace);
  }

  private async changeTraitPrecedence(workspace: AdminWorkspace, traits: NonNullable<StoredProfileSettings['traitPrecedence']>) {
    const { backfillJobId } = await this.settings.replace(workspace.id, { traitPrecedence: Object.keys(traits).length ? traits : null });
    return { ...(await this.getTraitPrecedence(workspace)), job: backfillJobId ? await this.jobs.get(workspace.id, backfillJobId) : null };
  }

  private async changeComputedTraits(workspace: AdminWorkspace, definitions: NonNullable<StoredProfileSettings['computedTraits']>) {
    const { backfillJobId } = await this.settings.replace(workspace.id, { computedTraits: definitions.length ? definitions : null });
    return { ...(await this.getComputedTraits(workspace)), job: backfillJobId ? await this.jobs.get(workspace.id, backfillJobId) : null };
  }
}
