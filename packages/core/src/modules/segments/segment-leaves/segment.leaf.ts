import { z } from 'zod';
import { SegmentException } from '../segment.exception.js';
import type { SegmentLeafKind } from './segment-leaf.js';

/** Membership of another segment of the workspace: `{ segment: '<segment id>' }`. */
export interface SegmentMembershipCondition {
  segment: string;
}

export const segmentMembershipConditionSchema = z.strictObject({ segment: z.uuid('must be a segment id') });

export const segmentLeaf: SegmentLeafKind<SegmentMembershipCondition> = {
  schema: segmentMembershipConditionSchema,
  operators: [],
  check: (leaf, ctx) => {
    if (!ctx.segmentExists(leaf.segment)) ctx.error(['segment'], 'no such segment in this workspace');
  },
  // The other segment's definition is inlined, so that membership is always current; a cycle is refused.
  compile: (leaf, ctx) => {
    const id = leaf.segment;
    if (ctx.stack.includes(id)) throw new SegmentException('SEGMENT_CYCLE', `segments refer to each other in a cycle: ${[...ctx.stack, id].join(' → ')}`, [{ field: 'segment', message: 'this segment refers back to itself' }]);
    const inner = ctx.resolve(id);
    if (!inner) throw new SegmentException('SEGMENT_NOT_FOUND', `segment ${id} does not exist`, [{ field: 'segment', message: 'no such segment in this workspace' }]);
    return ctx.condition(inner, [...ctx.stack, id]);
  },
  // Whether it depends on the clock (or on accounts) is the inlined definition's to say.
  references: (leaf) => [leaf.segment],
  refusedInPersonaRules: 'a persona rule cannot refer to a segment: segments are evaluated after personas are assigned',
};
