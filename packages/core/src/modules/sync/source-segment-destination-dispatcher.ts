import { Injectable } from '@nestjs/common';
import type { SegmentDestinationDispatcher } from '../segments/segment-destination-dispatcher.js';
import { SegmentDestinationOutboxService } from '../segments/segment-destination-outbox.service.js';

/**
 * Told by the segments module that a committed membership change queued pushes in the outbox: wakes the
 * segment destination pusher of this process, if it runs one (`SegmentDestinationPusher`); otherwise a
 * pusher of another process finds the pushes on its next round. Provided inside the segments module
 * (`SegmentsModule.withDispatcher`).
 */
@Injectable()
export class SourceSegmentDestinationDispatcher implements SegmentDestinationDispatcher {
  constructor(private readonly outbox: SegmentDestinationOutboxService) {}

  async dispatch(): Promise<void> {
    this.outbox.signals.emit('queued');
  }
}
