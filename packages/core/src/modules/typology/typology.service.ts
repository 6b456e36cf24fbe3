import { Injectable } from '@nestjs/common';
import { TypologyClassificationService, type TypologyDistribution, type TypologyRun } from './typology-classification.service.js';
import type { TypologySettings, TypologySettingsInput } from './typology-settings.js';
import { TypologySettingsService } from './typology-settings.service.js';

/** The thresholds in force and the workspace's own (the fields it set). */
export interface TypologySettingsView {
  settings: TypologySettings;
  own: TypologySettingsInput;
}

/**
 * What the management API and the CLI do with typologies: read and replace a workspace's thresholds
 * (a change classifies the workspace again before answering, so that the distribution answered is
 * current), classify it again on demand, and count its people per typology.
 */
@Injectable()
export class TypologyService {
  constructor(
    private readonly settingsService: TypologySettingsService,
    private readonly classification: TypologyClassificationService,
  ) {}

  async settings(workspaceId: string): Promise<TypologySettingsView> {
    const own = await this.settingsService.stored(workspaceId);
    return { settings: await this.settingsService.get(workspaceId), own };
  }

  /** Replaces the workspace's thresholds (INVALID_TYPOLOGY_SETTINGS field by field) and classifies every profile with them. */
  async replaceSettings(workspaceId: string, input: unknown): Promise<TypologySettingsView & { run: TypologyRun; distribution: TypologyDistribution }> {
    await this.settingsService.replace(workspaceId, input);
    const run = await this.classification.reclassifyAll(workspaceId);
    return { ...(await this.settings(workspaceId)), run, distribution: await this.classification.distribution(workspaceId) };
  }

  /** Classifies every profile of the workspace now. */
  async recompute(workspaceId: string): Promise<{ run: TypologyRun; distribution: TypologyDistribution }> {
    const run = await this.classification.reclassifyAll(workspaceId);
    return { run, distribution: await this.classification.distribution(workspaceId) };
  }

  distribution(workspaceId: string): Promise<TypologyDistribution> {
    return this.classification.distribution(workspaceId);
  }
}
