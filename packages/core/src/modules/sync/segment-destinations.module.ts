import { Module } from '@nestjs/common';
import { SegmentDestinationPusher } from './segment-destination-pusher.service.js';
import { SegmentDestinationsService } from './segment-destinations.service.js';

/**
 * Segment destinations for the management API and the CLI, and the pusher that delivers the segments'
 * push outbox to them, on top of the segments and sync modules the core exports.
 */
@Module({ providers: [SegmentDestinationsService, SegmentDestinationPusher], exports: [SegmentDestinationsService, SegmentDestinationPusher] })
export class SegmentDestinationsModule {}
