import { Module } from '@nestjs/common';
import { SegmentDestinationsService } from './segment-destinations.service.js';

/**
 * Segment destinations for the management API and the CLI, on top of the segments and sync modules
 * the core exports (the segments module already imports the sync engine for its dispatcher).
 */
@Module({ providers: [SegmentDestinationsService], exports: [SegmentDestinationsService] })
export class SegmentDestinationsModule {}
