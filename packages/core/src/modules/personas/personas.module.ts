import { Module } from '@nestjs/common';
import { ProfilesModule } from '../profiles/profiles.module.js';
import { SegmentCatalogService } from '../segments/segment-catalog.service.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { PersonaDiscoveryService } from './discovery/persona-discovery.service.js';
import { PersonaAssignmentService } from './persona-assignment.service.js';
import { PersonasService } from './personas.service.js';

/**
 * Buyer personas: cards with weighted matching rules in the segment condition language; each person
 * profile holds its best-matching persona and score, kept current after each profile change (before
 * segments are re-evaluated) and re-assigned across the workspace when a persona changes; every change
 * of a profile's persona is a `persona.assigned` webhook event. Discovery clusters the workspace's
 * people and proposes draft personas to accept.
 *
 * The observed-types catalog that rule validation reads is stateless and provided here too, rather
 * than by importing SegmentsModule: the core imports that module with its destination dispatcher, and
 * a second instance of it would re-evaluate segments twice per change.
 */
@Module({
  imports: [ProfilesModule, WebhooksModule],
  providers: [PersonasService, PersonaAssignmentService, PersonaDiscoveryService, SegmentCatalogService],
  exports: [PersonasService, PersonaAssignmentService, PersonaDiscoveryService],
})
export class PersonasModule {}
