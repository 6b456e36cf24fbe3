import { Injectable } from '@nestjs/common';
import { SegmentException } from '../segments/segment.exception.js';
import { SegmentsService, type SegmentDestinationView } from '../segments/segments.service.js';
import { PluginRegistry } from './plugin-registry.js';
import { SegmentDestinationPusher } from './segment-destination-pusher.service.js';
import { parseDestinationOptions } from './source-config.js';
import { SourceRepository } from './source-repository.js';

/** A connected destination with the source it is. */
export interface SegmentDestination extends SegmentDestinationView {
  source: { name: string; connectorId: string; enabled: boolean; status: 'ok' | 'needs_attention' };
}

/**
 * Connecting segments to destinations — sources whose connector receives segments (`syncSegment`,
 * capability `destination`) — for the management API and the CLI. The connection and its last push
 * belong to the segments module; which sources can receive segments, to the sync engine.
 */
@Injectable()
export class SegmentDestinationsService {
  constructor(
    private readonly segments: SegmentsService,
    private readonly sources: SourceRepository,
    private readonly registry: PluginRegistry,
    private readonly pusher: SegmentDestinationPusher,
  ) {}

  async list(workspaceId: string, segmentId: string): Promise<SegmentDestination[]> {
    const connected = await this.segments.destinations(workspaceId, segmentId);
    return Promise.all(connected.map(async (d) => ({ ...d, source: this.describe(await this.sources.find(d.sourceId, workspaceId)) })));
  }

  /**
   * Connects a source of the workspace to a segment (idempotent) with the options its connector takes
   * (`destinationOptionsSchema`; left out: `{}`, its defaults): its current members are queued for it,
   * then who enters and leaves is pushed to it, retried until it is taken. Connecting it again with
   * other options replaces them, and the whole current membership is pushed again under them.
   * SOURCE_NOT_FOUND for a source of another workspace; INVALID_DESTINATION (field `sourceId`) for one
   * whose connector does not receive segments, (fields `options.…`) for options it refuses.
   */
  async connect(workspaceId: string, segmentId: string, sourceId: string, options: Record<string, unknown> = {}): Promise<SegmentDestination> {
    await this.segments.get(workspaceId, segmentId);
    const source = await this.sources.find(sourceId, workspaceId);
    const connector = this.registry.get(source.connector_id);
    if (!connector.syncSegment || !connector.manifest.capabilities.destination) {
      throw new SegmentException('INVALID_DESTINATION', `source ${source.name} cannot receive segments`, [
        { field: 'sourceId', message: `the ${connector.manifest.id} connector does not receive segments` },
      ]);
    }
    const config = connector.manifest.configSchema.safeParse(this.sources.fullConfig(source));
    if (!config.success) {
      throw new SegmentException('INVALID_DESTINATION', `source ${source.name} has an invalid configuration`, [
        { field: 'sourceId', message: 'the source\'s configuration is not valid: correct it first' },
      ]);
    }
    const parsed = parseDestinationOptions(connector, options, config.data);
    if (!parsed.ok) {
      throw new SegmentException('INVALID_DESTINATION', `the options are not valid for source ${source.name}: ${parsed.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, parsed.problems);
    }
    await this.segments.connectDestination(workspaceId, segmentId, source.id, options);
    return (await this.list(workspaceId, segmentId)).find((d) => d.sourceId === source.id)!;
  }

  /**
   * Pushes now what the segment's destinations (or the one given) are owed, without waiting for their
   * next attempt, and answers the destinations with the outcome. DESTINATION_NOT_FOUND when the source
   * given is not a destination of the segment.
   */
  async pushNow(workspaceId: string, segmentId: string, sourceId?: string): Promise<SegmentDestination[]> {
    await this.segments.get(workspaceId, segmentId);
    const connected = await this.segments.destinations(workspaceId, segmentId);
    if (sourceId !== undefined && !connected.some((d) => d.sourceId === sourceId)) {
      throw new SegmentException('DESTINATION_NOT_FOUND', `source ${sourceId} is not a destination of segment ${segmentId}`);
    }
    await this.pusher.pushNow(workspaceId, segmentId, sourceId);
    const listed = await this.list(workspaceId, segmentId);
    return sourceId === undefined ? listed : listed.filter((d) => d.sourceId === sourceId);
  }

  /** Disconnects a destination from a segment, dropping its pending pushes; DESTINATION_NOT_FOUND when it was not connected. */
  async disconnect(workspaceId: string, segmentId: string, sourceId: string): Promise<void> {
    await this.segments.get(workspaceId, segmentId);
    if (!(await this.segments.disconnectDestination(workspaceId, segmentId, sourceId))) {
      throw new SegmentException('DESTINATION_NOT_FOUND', `source ${sourceId} is not a destination of segment ${segmentId}`);
    }
  }

  private describe(row: { name: string; connector_id: string; enabled: boolean; status: 'ok' | 'needs_attention' }): SegmentDestination['source'] {
    return { name: row.name, connectorId: row.connector_id, enabled: row.enabled, status: row.status };
  }
}
