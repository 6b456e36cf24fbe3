import { Injectable } from '@nestjs/common';
import { SegmentMembershipService } from './segment-membership.service.js';
import { SegmentException } from './segment.exception.js';
import { SegmentsService, type SegmentView } from './segments.service.js';

/** A segment as the management surfaces write it: a name and a condition (the stored `definition`). */
export interface SegmentDraft {
  name: string;
  condition: unknown;
  key?: string;
  description?: string | null;
}

export interface SegmentConditionPreview {
  count: number;
  /** The first 20 matching profiles, oldest first. */
  sample: { id: string; kind: 'person' | 'account'; traits: Record<string, unknown> }[];
}

/**
 * Segments as the management API and the CLI edit them: the condition is checked first (its field
 * errors named `condition.…`, nothing stored), membership is computed at once after a create or a
 * change of condition, so that the member count answered is the real one.
 */
@Injectable()
export class SegmentEditorService {
  constructor(
    private readonly segments: SegmentsService,
    private readonly membership: SegmentMembershipService,
  ) {}

  async create(workspaceId: string, draft: SegmentDraft): Promise<SegmentView> {
    await this.checkCondition(workspaceId, draft.condition);
    const created = await this.segments.create(workspaceId, { name: draft.name, key: draft.key, description: draft.description, definition: draft.condition });
    await this.membership.recompute(workspaceId, created.id);
    return this.segments.get(workspaceId, created.id);
  }

  /** Changes the given fields; a changed condition is recomputed (with the segments that refer to it). */
  async update(workspaceId: string, id: string, patch: Partial<SegmentDraft>): Promise<SegmentView> {
    const current = await this.segments.get(workspaceId, id);
    if (patch.condition !== undefined) await this.checkCondition(workspaceId, patch.condition, id);
    const updated = await this.segments.update(workspaceId, id, {
      name: patch.name ?? current.name,
      key: patch.key ?? current.key,
      description: patch.description === undefined ? current.description : patch.description,
      definition: patch.condition ?? current.definition,
    });
    if (updated.version === current.version) return updated;
    await this.membership.recompute(workspaceId, id);
    return this.segments.get(workspaceId, id);
  }

  /** How many profiles a condition not yet saved matches now, and the first 20 of them. */
  async preview(workspaceId: string, condition: unknown): Promise<SegmentConditionPreview> {
    await this.checkCondition(workspaceId, condition);
    const { count, profiles } = await this.segments.preview(workspaceId, condition);
    return { count, sample: profiles };
  }

  private async checkCondition(workspaceId: string, condition: unknown, selfId?: string): Promise<void> {
    try {
      await this.segments.validate(workspaceId, condition, selfId);
    } catch (error) {
      if (!(error instanceof SegmentException) || error.code !== 'INVALID_SEGMENT') throw error;
      const errors = error.errors.map((e) => ({ field: e.field ? `condition.${e.field}` : 'condition', message: e.message }));
      const first = errors[0] ?? { field: 'condition', message: error.message };
      throw new SegmentException('INVALID_SEGMENT', `the condition is invalid: ${first.field}: ${first.message}`, errors.length ? errors : [first]);
    }
  }
}
