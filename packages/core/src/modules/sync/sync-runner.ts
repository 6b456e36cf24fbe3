import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ConnectorConfigError,
  createConnectorContext,
  isConnectorError,
  type Connector,
  type ProfileFact,
  type StreamDefinition,
  type StreamState,
  type SyncMode,
} from '@portrait/connector-sdk';
import type { DataSource, QueryRunner } from 'typeorm';
import { IngestService, type DeadLetter, type IngestedBatch } from '../ingest/ingest.service.js';
import { connectorLogger } from './connector-logger.js';
import { isDatabaseError } from '../../engine/logger/log-serializers.js';
import { SecretBoxException } from '../../engine/crypto/secret-box.js';
import { configProblems, parseConfig } from './source-config.js';
import { addWarning, emptyStreamStats, type StreamStats, type SyncRunRow, type SyncRunView, type SyncRunWarning } from './sync-run.js';
import { SyncRunsService } from './sync-runs.service.js';
import { redactSecrets, SourceRepository, type SourceRow } from './source-repository.js';

/** Facts accumulated before a batch is ingested even without a checkpoint. */
export const SYNC_BATCH_SIZE = 1000;
const HEARTBEAT_MS = 10_000;

export interface SyncProgress {
  stream: string;
  stats: StreamStats;
}

export interface RunOptions {
  onProgress?: (progress: SyncProgress) => void;
}

/** What a run has done so far, written to its row with every batch. */
interface RunProgress {
  stats: Record<string, StreamStats>;
  /** The connector's warnings, secrets redacted. */
  warnings: SyncRunWarning[];
}

/** Why a run of this process was stopped: a cancel, or the process shutting down. */
class SyncCancelled extends Error {
  constructor(reason = 'cancelled') {
    super(reason);
  }
}

/**
 * Runs one sync: the source's streams one after another; facts gathered into batches and ingested
 * with the stream's checkpoint in ONE transaction (so a crash resumes exactly from the last
 * committed checkpoint); invalid records and refused facts dead-lettered; counts per stream.
 */
@Injectable()
export class SyncRunner {
  private readonly logger = new Logger(SyncRunner.name);
  /** Runs of this process, to abort them at once on cancel or shutdown. */
  private readonly active = new Map<string, AbortController>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ingest: IngestService,
    private readonly runs: SyncRunsService,
    private readonly sources: SourceRepository,
  ) {}

  /** Aborts a run of this process now (a cancel from another process is seen at the next batch or heartbeat). */
  abortLocal(runId: string): void {
    this.active.get(runId)?.abort(new SyncCancelled());
  }

  /** Aborts every run of this process (shutdown, Ctrl-C): each ends as cancelled, its checkpoints kept. */
  abortAll(reason = 'cancelled: the process running it stopped'): void {
    for (const controller of this.active.values()) controller.abort(new SyncCancelled(reason));
  }

  /** Runs a started run (see `SyncRunsService.tryStart`) to its end: succeeded, failed or cancelled. */
  async run(source: SourceRow, connector: Connector, run: SyncRunRow, options: RunOptions = {}): Promise<SyncRunView> {
    const controller = new AbortController();
    this.active.set(run.id, controller);
    const stats: Record<string, StreamStats> = {};
    const warnings: SyncRunWarning[] = [];
    const progress: RunProgress = { stats, warnings };
    let secretValues: string[] = [];
    const heartbeat = setInterval(() => {
      this.runs.heartbeat(run.id).then(
        (cancel) => cancel && controller.abort(new SyncCancelled()),
        () => undefined,
      );
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const ctx = createConnectorContext({
      signal: controller.signal,
      logger: connectorLogger(this.logger, { sourceId: source.id, runId: run.id, connector: connector.manifest.id }, (message) =>
        addWarning(warnings, redactSecrets(message, secretValues)),
      ),
    });
    try {
      const fullConfig = this.sources.fullConfig(source);
      secretValues = this.sources.secretValues(source);
      const problems = configProblems(connector, fullConfig);
      if (problems.length) throw new ConnectorConfigError(problems);
      const config = parseConfig(connector, fullConfig);
      for (const stream of connector.manifest.streams) {
        stats[stream.name] = emptyStreamStats();
        await this.runs.startStream(run.id, stream.name, stats);
        await this.readStream(source, connector, config, run, stream, progress, ctx, controller, options);
      }
      await this.sources.setStatus(source.id, 'ok', null);
      return await this.runs.finish(run.id, 'succeeded', stats, null, { warnings });
    } catch (error) {
      const reason = controller.signal.aborted ? controller.signal.reason : error;
      if (reason instanceof SyncCancelled) return await this.runs.finish(run.id, 'cancelled', stats, reason.message, { warnings });
      const message = redactSecrets(describe(error), secretValues);
      const attention = needsAttention(error);
      if (attention) await this.sources.setStatus(source.id, 'needs_attention', `${attention}: ${message}`);
      const retryable = isConnectorError(error) ? error.retryable : false;
      // A database error's message may hold the values it failed on: logged by its SQL state instead.
      this.logger.warn({ sourceId: source.id, runId: run.id, ...(isDatabaseError(error) ? { err: error } : { error: message }), retryable }, 'sync failed');
      return await this.runs.finish(run.id, 'failed', stats, message, { retryable, warnings });
    } finally {
      clearInterval(heartbeat);
      this.active.delete(run.id);
    }
  }

  private async readStream(
    source: SourceRow,
    connector: Connector,
    config: unknown,
    run: SyncRunRow,
    stream: StreamDefinition,
    progress: RunProgress,
    ctx: ReturnType<typeof createConnectorContext>,
    controller: AbortController,
    options: RunOptions,
  ): Promise<void> {
    const mode: SyncMode = stream.syncModes.includes(run.mode) ? run.mode : stream.syncModes[0]!;
    const [stored]: { state: StreamState; in_progress: boolean }[] = await this.dataSource.query(
      `SELECT state, in_progress FROM sync_states WHERE source_id = $1 AND stream = $2`,
      [source.id, stream.name],
    );
    // A read interrupted mid-way resumes from its last committed checkpoint, even a full one;
    // otherwise a full sync starts from the beginning and an incremental one from the last state.
    const state = stored?.in_progress ? stored.state : mode === 'incremental' ? stored?.state : undefined;
    const streamStats = progress.stats[stream.name]!;
    let facts: ProfileFact[] = [];
    let deadLetters: DeadLetter[] = [];

    const flush = async (checkpoint: { state: StreamState; inProgress: boolean } | { finished: true } | undefined) => {
      await this.flush(source, run, stream.name, facts, deadLetters, checkpoint, streamStats, progress);
      facts = [];
      deadLetters = [];
      options.onProgress?.({ stream: stream.name, stats: { ...streamStats } });
      if (await this.runs.heartbeat(run.id)) controller.abort(new SyncCancelled());
      if (controller.signal.aborted) throw new SyncCancelled();
    };

    for await (const message of connector.read({ stream: stream.name, mode, state }, config, ctx)) {
      if (message.type === 'facts') {
        streamStats.read += message.facts.length;
        for (const fact of message.facts) {
          facts.push(fact);
          if (facts.length >= SYNC_BATCH_SIZE) await flush(undefined);
        }
      } else if (message.type === 'invalid') {
        streamStats.read += 1;
        deadLetters.push({ reason: message.reason, payload: message.payload ?? null, location: message.location ?? null });
      } else {
        await flush({ state: message.state, inProgress: true });
      }
    }
    await flush({ finished: true });
  }

  /** Ingests a batch, dead-letters what could not be ingested and commits the checkpoint, all in one transaction. */
  private async flush(
    source: SourceRow,
    run: SyncRunRow,
    stream: string,
    facts: ProfileFact[],
    invalid: DeadLetter[],
    checkpoint: { state: StreamState; inProgress: boolean } | { finished: true } | undefined,
    streamStats: StreamStats,
    progress: RunProgress,
  ): Promise<void> {
    // The checkpoint and the run's stats, in the batch's transaction.
    const alongside = async (runner: QueryRunner, { result, deadLettered }: IngestedBatch) => {
      if (checkpoint && 'state' in checkpoint) {
        await runner.query(
          `INSERT INTO sync_states (workspace_id, source_id, stream, state, in_progress, updated_at) VALUES ($1, $2, $3, $4, $5, now())
           ON CONFLICT (source_id, stream) DO UPDATE SET state = EXCLUDED.state, in_progress = EXCLUDED.in_progress, updated_at = now()`,
          [source.workspace_id, source.id, stream, JSON.stringify(checkpoint.state), checkpoint.inProgress],
        );
      } else if (checkpoint) {
        await runner.query(`UPDATE sync_states SET in_progress = false, updated_at = now() WHERE source_id = $1 AND stream = $2 AND in_progress`, [source.id, stream]);
      }
      const next: StreamStats = {
        read: streamStats.read,
        created: streamStats.created + result.created,
        updated: streamStats.updated + result.updated,
        merged: streamStats.merged + result.merged,
        events: streamStats.events + result.eventsInserted,
        rejected: streamStats.rejected + result.rejected,
        deadLettered: streamStats.deadLettered + deadLettered,
        suppressed: streamStats.suppressed + result.suppressed,
      };
      await runner.query(`UPDATE sync_runs SET stats = $2, warnings = $3, heartbeat_at = now() WHERE id = $1`, [
        run.id,
        JSON.stringify({ ...progress.stats, [stream]: next }),
        JSON.stringify(progress.warnings),
      ]);
      return next;
    };
    const { alongside: next } = await this.ingest.ingestWithin(source.workspace_id, facts, {
      deadLetters: { sourceId: source.id, runId: run.id, stream, invalid, locate: (index) => `fact ${index} of a ${stream} batch` },
      alongside,
    });
    Object.assign(streamStats, next);
  }
}

/** Why a failure needs an administrator (credentials, configuration, the secret key), or undefined when it may pass. */
function needsAttention(error: unknown): string | undefined {
  if (isConnectorError(error) && error.code === 'CONNECTOR_AUTH') return 'credentials refused';
  if (isConnectorError(error) && error.code === 'CONNECTOR_CONFIG') return 'configuration invalid';
  if (error instanceof SecretBoxException) return 'secrets unreadable';
  return undefined;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return message.slice(0, 2000);
}

