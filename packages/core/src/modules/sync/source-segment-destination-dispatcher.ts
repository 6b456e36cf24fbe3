import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createConnectorContext, isConnectorError, type SegmentMember, type SegmentSyncResult } from '@portrait/connector-sdk';
import type { DataSource } from 'typeorm';
import type { SegmentDestinationDispatcher, SegmentDiff } from '../segments/segment-destination-dispatcher.js';
import { SegmentsService, type SegmentView } from '../segments/segments.service.js';
import { connectorLogger } from './connector-logger.js';
import { PluginRegistry } from './plugin-registry.js';
import { parseConfig } from './source-config.js';
import { redactSecrets, SourceRepository } from './source-repository.js';

/** How long one destination may take to take one diff. */
const DESTINATION_TIMEOUT_MS = 5 * 60_000;

/** What the last push of a segment to a destination did, kept on its `segment_destinations` row. */
export interface DestinationPushOutcome {
  sourceId: string;
  ok: boolean;
  synced: number;
  skipped: number;
  error: string | null;
}

/**
 * Hands a segment's committed entered/exited diff to each destination source connected to it: the
 * source's connector `syncSegment`, with its opened configuration, given each member's identities and
 * traits (what a channel addresses people by). The outcome of each push is kept on the connection
 * (`last_pushed_at`, counts, error) by the segments module, which owns it; refused credentials mark
 * the source as needing attention. A failing destination never fails the recompute nor the other
 * destinations. Provided inside the segments module (`SegmentsModule.withDispatcher`), with the sync
 * module imported there.
 */
@Injectable()
export class SourceSegmentDestinationDispatcher implements SegmentDestinationDispatcher {
  private readonly logger = new Logger(SourceSegmentDestinationDispatcher.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: PluginRegistry,
    private readonly sources: SourceRepository,
    private readonly segments: SegmentsService,
  ) {}

  async dispatch(workspaceId: string, segment: SegmentView & { destinations: string[] }, diff: SegmentDiff): Promise<void> {
    if (segment.destinations.length === 0 || diff.entered.length + diff.exited.length === 0) return;
    const members = await this.members(workspaceId, [...diff.entered, ...diff.exited]);
    const memberOf = (id: string): SegmentMember => members.get(id) ?? { profileId: id, identities: {}, traits: {} };
    const payload = { entered: diff.entered.map(memberOf), exited: diff.exited.map(memberOf) };
    for (const sourceId of segment.destinations) {
      await this.segments.recordDestinationPush(segment.id, sourceId, await this.push(workspaceId, sourceId, segment, payload));
    }
  }

  private async push(
    workspaceId: string,
    sourceId: string,
    segment: SegmentView,
    diff: { entered: SegmentMember[]; exited: SegmentMember[] },
  ): Promise<DestinationPushOutcome> {
    const failed = (error: string): DestinationPushOutcome => {
      this.logger.warn({ workspaceId, segmentId: segment.id, sourceId, error }, 'segment destination push failed');
      return { sourceId, ok: false, synced: 0, skipped: 0, error };
    };
    let secrets: string[] = [];
    try {
      const source = await this.sources.find(sourceId, workspaceId);
      if (!source.enabled) return failed(`source ${source.name} is disabled`);
      const connector = this.registry.get(source.connector_id);
      if (!connector.syncSegment || !connector.manifest.capabilities.destination) return failed(`connector "${connector.manifest.id}" does not receive segments`);
      const fullConfig = this.sources.fullConfig(source);
      secrets = this.sources.secretValues(source);
      const ctx = createConnectorContext({
        signal: AbortSignal.timeout(DESTINATION_TIMEOUT_MS),
        logger: connectorLogger(this.logger, { sourceId, segmentId: segment.id, connector: connector.manifest.id }),
      });
      const result: SegmentSyncResult = await connector.syncSegment({ id: segment.id, name: segment.name, key: segment.key }, diff, parseConfig(connector, fullConfig), ctx);
      if (result.skipped.length) this.logger.log({ segmentId: segment.id, sourceId, skipped: result.skipped.length }, 'a destination skipped members it cannot address');
      return { sourceId, ok: true, synced: result.synced, skipped: result.skipped.length, error: null };
    } catch (error) {
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets).slice(0, 2000);
      if (isConnectorError(error) && error.code === 'CONNECTOR_AUTH') await this.sources.setStatus(sourceId, 'needs_attention', `credentials refused: ${message}`);
      return failed(message);
    }
  }

  /** Identities (by type) and traits of the members, read in one statement. */
  private async members(workspaceId: string, profileIds: string[]): Promise<Map<string, SegmentMember>> {
    const rows: { id: string; traits: Record<string, unknown>; identities: Record<string, string[]> | null }[] = await this.dataSource.query(
      `SELECT p.id, p.traits,
              (SELECT json_object_agg(t.type, t.values) FROM (SELECT i.type, json_agg(i.value ORDER BY i.value) AS values FROM identities i WHERE i.profile_id = p.id GROUP BY i.type) t) AS identities
       FROM profiles p WHERE p.workspace_id = $1 AND p.id = ANY($2::uuid[])`,
      [workspaceId, profileIds],
    );
    return new Map(rows.map((r) => [r.id, { profileId: r.id, identities: r.identities ?? {}, traits: r.traits }]));
  }
}
