import { Injectable } from '@nestjs/common';
import type { SegmentView } from './segments.service.js';

/** Profiles that entered and left a segment in one recompute. */
export interface SegmentDiff {
  entered: string[];
  exited: string[];
}

/**
 * Told of membership changes of a segment with destinations connected to it (`segment_destinations`),
 * e.g. a Mailchimp tag, after each recompute that changed it, once the change is committed — with the
 * pushes it owes them, queued in the same statement in the outbox. The sync engine provides the real
 * implementation under this token (it wakes the pusher that delivers the outbox).
 */
export interface SegmentDestinationDispatcher {
  dispatch(workspaceId: string, segment: SegmentView & { destinations: string[] }, diff: SegmentDiff): Promise<void>;
}

export const SEGMENT_DESTINATION_DISPATCHER = Symbol('SEGMENT_DESTINATION_DISPATCHER');

/** The default: no destination runtime is installed, so pushes wait in the outbox. */
@Injectable()
export class NoopSegmentDestinationDispatcher implements SegmentDestinationDispatcher {
  async dispatch(): Promise<void> {}
}
