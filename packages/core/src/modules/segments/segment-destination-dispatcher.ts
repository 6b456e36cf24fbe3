import { Injectable } from '@nestjs/common';
import type { SegmentView } from './segments.service.js';

/** Profiles that entered and left a segment in one recompute. */
export interface SegmentDiff {
  entered: string[];
  exited: string[];
}

/**
 * Pushes membership changes of a segment to the destinations connected to it (`segment_destinations`),
 * e.g. a Mailchimp tag. Called after each recompute that changed a segment with destinations, once the
 * change is committed; the sync engine provides the real implementation under this token.
 */
export interface SegmentDestinationDispatcher {
  dispatch(workspaceId: string, segment: SegmentView & { destinations: string[] }, diff: SegmentDiff): Promise<void>;
}

export const SEGMENT_DESTINATION_DISPATCHER = Symbol('SEGMENT_DESTINATION_DISPATCHER');

/** The default: no destination runtime is installed, so nothing is pushed (the membership log keeps every change). */
@Injectable()
export class NoopSegmentDestinationDispatcher implements SegmentDestinationDispatcher {
  async dispatch(): Promise<void> {}
}
