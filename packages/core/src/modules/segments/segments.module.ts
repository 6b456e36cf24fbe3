import { type DynamicModule, type ForwardReference, Module, type Type } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { SegmentCatalogService } from './segment-catalog.service.js';
import { NoopSegmentDestinationDispatcher, SEGMENT_DESTINATION_DISPATCHER, type SegmentDestinationDispatcher } from './segment-destination-dispatcher.js';
import { SegmentDestinationOutboxService } from './segment-destination-outbox.service.js';
import { SegmentMembershipService } from './segment-membership.service.js';
import { SegmentsService } from './segments.service.js';

const services = [SegmentsService, SegmentCatalogService, SegmentMembershipService, SegmentDestinationOutboxService];

/**
 * Segments: definitions in a JSON condition language compiled to one parameterized SQL statement,
 * materialized membership kept current after each profile change and on a schedule, an entered/exited
 * log, size history, and the outbox of pushes owed to connected destinations with a hook that is told
 * when pushes are queued. Without a dispatcher, pushes wait in the outbox.
 */
@Module({
  imports: [ProfilesModule],
  providers: [...services, { provide: SEGMENT_DESTINATION_DISPATCHER, useClass: NoopSegmentDestinationDispatcher }],
  exports: [...services, SEGMENT_DESTINATION_DISPATCHER],
})
export class SegmentsModule {
  /**
   * The module with a real destination dispatcher (the sync engine's, or a test's); `imports` are the
   * modules whose exports the dispatcher is built from.
   */
  static withDispatcher(dispatcher: Type<SegmentDestinationDispatcher>, imports: (Type | DynamicModule | ForwardReference)[] = []): DynamicModule {
    return {
      module: SegmentsModule,
      imports: [ProfilesModule, ...imports],
      providers: [...services, { provide: SEGMENT_DESTINATION_DISPATCHER, useClass: dispatcher }],
      exports: [...services, SEGMENT_DESTINATION_DISPATCHER],
    };
  }
}
