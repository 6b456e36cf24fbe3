import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createConnectorContext, isConnectorError, type SegmentMember } from '@portrait/connector-sdk';
import type { DataSource } from 'typeorm';
import { SegmentDestinationOutboxService, type ClaimedConnection, type OwedPush, type PushOutcome } from '../segments/segment-destination-outbox.service.js';
import { webhookBackoffMs } from '../webhooks/webhook-delivery.service.js';
import { connectorLogger } from './connector-logger.js';
import { PluginRegistry } from './plugin-registry.js';
import { parseConfig, parseDestinationOptions } from './source-config.js';
import { redactSecrets, SourceRepository, type SourceRow } from './source-repository.js';
import { WakeableLoop } from '../../engine/scheduling/wakeable-loop.js';

/** How long one destination may take to take one push. */
const DESTINATION_TIMEOUT_MS = 5 * 60_000;
/** A claimed connection is reserved this long: past the push's own timeout, so a slow push is never taken twice. */
const LEASE_SECONDS = DESTINATION_TIMEOUT_MS / 1000 + 60;
/** Members handed to a destination in one push; a longer backlog takes several. */
export const PUSH_BATCH = 5000;
/** Connections claimed per round. */
const CLAIM_BATCH = 20;
/** How often a started pusher looks for pushes queued by other processes, or coming due after a backoff. */
const POLL_MS = 1000;

/** What `pushNow` did for one destination. */
export interface PushAttempt {
  sourceId: string;
  ok: boolean;
  entered: number;
  exited: number;
  error: string | null;
}

/**
 * Delivers the segment push outbox to destination sources: claims connections whose push is due, gives
 * each destination connector's `syncSegment` (with its opened configuration and the connection's options) what it is owed — computed
 * from the segment's current membership and what the destination confirmed, with each member's
 * identities and traits — and confirms it, or schedules a retry with exponential backoff (capped, with
 * jitter: the schedule of webhook deliveries) until it succeeds or the destination is disconnected.
 * Refused credentials mark the source as needing attention. A failing destination fails nothing else.
 * Runs (`start`) in the worker, and in the API when no queue (REDIS_URL) is configured, like the intake
 * processor; any number of pushers share the outbox (leases claimed with SKIP LOCKED).
 */
@Injectable()
export class SegmentDestinationPusher implements OnModuleDestroy {
  private readonly logger = new Logger(SegmentDestinationPusher.name);
  private readonly loop: WakeableLoop;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: SegmentDestinationOutboxService,
    private readonly registry: PluginRegistry,
    private readonly sources: SourceRepository,
  ) {
    this.loop = new WakeableLoop({
      pollMs: POLL_MS,
      signals: this.outbox.signals,
      event: 'queued',
      pass: async () => {
        while ((await this.deliverDue()) > 0 && this.loop.running) {
          /* keep going while connections are owed pushes */
        }
      },
      failed: async (error) => {
        this.logger.error({ err: error }, 'a round of segment pushes failed; the next round retries');
        return false;
      },
    });
  }

  /** Starts delivering: at once, whenever this process queues pushes, and every second. */
  start(): void {
    this.loop.start();
  }

  /** Stops after the pushes in flight. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Pushes up to `limit` connections whose push is due; answers how many were claimed. */
  async deliverDue(limit = CLAIM_BATCH): Promise<number> {
    const claimed = await this.outbox.claimDue(limit, LEASE_SECONDS);
    await Promise.all(claimed.map((connection) => this.push(connection)));
    return claimed.length;
  }

  /**
   * Pushes a segment's destinations (or one of them) now, whatever their retry schedule, until each is
   * owed nothing or fails once. A destination another process is pushing at this moment is left to it.
   */
  async pushNow(workspaceId: string, segmentId: string, sourceId?: string): Promise<PushAttempt[]> {
    const attempts = new Map<string, PushAttempt>();
    const failed: string[] = [];
    for (;;) {
      const claimed = await this.outbox.claimNow(workspaceId, segmentId, sourceId, failed, LEASE_SECONDS);
      if (claimed.length === 0) return [...attempts.values()];
      for (const outcome of await Promise.all(claimed.map((connection) => this.push(connection)))) {
        if (!outcome) continue;
        const before = attempts.get(outcome.sourceId);
        attempts.set(outcome.sourceId, { ...outcome, entered: outcome.entered + (before?.entered ?? 0), exited: outcome.exited + (before?.exited ?? 0) });
        if (!outcome.ok) failed.push(outcome.sourceId);
      }
    }
  }

  /** One push of a claimed connection (one batch of what it is owed); undefined when it was owed nothing. */
  private async push(connection: ClaimedConnection): Promise<PushAttempt | undefined> {
    let owed: OwedPush | undefined;
    try {
      // The destination's source, read once for the push: its connector's consent purpose decides what is owed.
      const found = await this.sources.find(connection.sourceId, connection.workspaceId).then(
        (source) => ({ source }),
        (error: unknown) => ({ error }),
      );
      owed = await this.outbox.owed(connection, PUSH_BATCH, 'source' in found ? this.consentPurposeOf(found.source) : undefined);
      if (owed.entered.length + owed.exited.length === 0) {
        await this.outbox.settle(connection, owed, undefined);
        return undefined;
      }
      const outcome = await this.send(connection, owed, found);
      await this.outbox.settle(connection, owed, outcome);
      return { sourceId: connection.sourceId, ok: outcome.ok, entered: owed.entered.length, exited: owed.exited.length, error: outcome.ok ? null : outcome.error };
    } catch (error) {
      // The outbox itself failed (the database): the lease runs out and another round takes the push again.
      this.logger.error({ err: error, segmentId: connection.segment.id, sourceId: connection.sourceId }, 'a segment push could not be settled');
      return { sourceId: connection.sourceId, ok: false, entered: owed?.entered.length ?? 0, exited: owed?.exited.length ?? 0, error: 'the push could not be recorded; it will be retried' };
    }
  }

  /** Hands what is owed to the destination source's connector; never throws. */
  private async send(connection: ClaimedConnection, owed: OwedPush, found: { source: SourceRow } | { error: unknown }): Promise<PushOutcome> {
    const { workspaceId, sourceId, segment } = connection;
    const counts = { entered: owed.entered.length, exited: owed.exited.length };
    const failed = (error: string): PushOutcome => {
      const retryInMs = webhookBackoffMs(connection.attempts + 1);
      this.logger.warn({ workspaceId, segmentId: segment.id, sourceId, attempts: connection.attempts + 1, retryInMs, error }, 'segment destination push failed; it will be retried');
      return { ok: false, ...counts, error, retryInMs };
    };
    let secrets: string[] = [];
    try {
      if ('error' in found) throw found.error;
      const { source } = found;
      if (!source.enabled) return failed(`source ${source.name} is disabled`);
      const connector = this.registry.get(source.connector_id);
      if (!connector.syncSegment || !connector.manifest.capabilities.destination) return failed(`connector "${connector.manifest.id}" does not receive segments`);
      const fullConfig = this.sources.fullConfig(source);
      secrets = this.sources.secretValues(source);
      const config = parseConfig(connector, fullConfig);
      // Checked again at each push: the source's configuration may have changed since the connection.
      const options = parseDestinationOptions(connector, connection.options, config);
      if (!options.ok) return failed(`the connection's options are no longer valid: ${options.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}; connect the segment again with valid options`);
      const members = await this.members(workspaceId, [...owed.entered, ...owed.exited]);
      const memberOf = (id: string): SegmentMember => members.get(id) ?? { profileId: id, identities: {}, traits: {} };
      const signal = AbortSignal.timeout(DESTINATION_TIMEOUT_MS);
      const ctx = createConnectorContext({ signal, logger: connectorLogger(this.logger, { sourceId, segmentId: segment.id, connector: connector.manifest.id }) });
      // A connector that ignores the signal is given up on all the same, before the lease runs out:
      // another pusher never takes the connection while this push may still be going.
      const result = await Promise.race([
        connector.syncSegment({ ...segment, options: options.options }, { entered: owed.entered.map(memberOf), exited: owed.exited.map(memberOf) }, config, ctx),
        untilAborted(signal),
      ]);
      if (result.skipped.length) this.logger.log({ segmentId: segment.id, sourceId, skipped: result.skipped.length }, 'a destination skipped members it cannot address');
      return { ok: true, ...counts, synced: result.synced, skipped: result.skipped.length };
    } catch (error) {
      const message = redactSecrets(error instanceof Error ? error.message : String(error), secrets).slice(0, 2000);
      if (isConnectorError(error) && error.code === 'CONNECTOR_AUTH') await this.sources.setStatus(sourceId, 'needs_attention', `credentials refused: ${message}`);
      return failed(message);
    }
  }

  /** The consent purpose the source's connector declares (none when it needs none, or is not installed: the push then fails in `send`). */
  private consentPurposeOf(source: SourceRow): string | undefined {
    try {
      return this.registry.get(source.connector_id).manifest.capabilities.destinationConsent;
    } catch {
      return undefined;
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

/** Rejects once `signal` aborts (the push's time is up). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error(`the destination did not answer within ${DESTINATION_TIMEOUT_MS / 60_000} minutes`)), { once: true }),
  );
}
