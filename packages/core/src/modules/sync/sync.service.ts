import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { createConnectorContext, isConnectorError, validatePrivacyRequest, type PrivacyRequest, type SyncMode, type WebhookRequest } from '@portrait/connector-sdk';
import { IngestService, type IngestResult } from '../ingest/ingest.service.js';
import { PrivacyRequestsService, type PrivacyRequestOutcome } from '../privacy/privacy-requests.service.js';
import { PluginRegistry } from './plugin-registry.js';
import { parseConfig } from './source-config.js';
import { SourceRepository } from './source-repository.js';
import { runView, type SyncRunView, type SyncTrigger } from './sync-run.js';
import { SyncRunner, type SyncProgress } from './sync-runner.js';
import { SyncRunsService } from './sync-runs.service.js';
import { SyncException } from './sync.exception.js';

export interface SyncOptions {
  /** Restricts the source to this workspace (requests from a workspace's admin or API). */
  workspaceId?: string;
  /** `incremental` (default) continues from each stream's state; `full` reads everything again. */
  mode?: SyncMode;
  trigger?: SyncTrigger;
  /** Starts this queued run (see `enqueue`) rather than a new one. */
  runId?: string;
  onProgress?: (progress: SyncProgress) => void;
}

export type SyncOutcome =
  | { started: true; run: SyncRunView }
  /** Another run of this source is running (in this or another process): nothing was done. */
  | { started: false; reason: 'already_running'; runningRunId: string | undefined }
  /** The queued run was cancelled before it started. */
  | { started: false; reason: 'cancelled'; run: SyncRunView };

export interface WebhookOutcome {
  result: IngestResult;
  /** The reply the channel expects, when it expects one. */
  response?: { status: number; body?: unknown };
  /** The privacy requests the webhook forwarded, as carried out (counts, never personal data). */
  privacyRequests: PrivacyRequestOutcome[];
}

/** Starts syncs (one running per source), cancels them, and ingests inbound webhooks of sources. */
@Injectable()
export class SyncService implements BeforeApplicationShutdown {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly registry: PluginRegistry,
    private readonly sources: SourceRepository,
    private readonly runs: SyncRunsService,
    private readonly runner: SyncRunner,
    private readonly ingest: IngestService,
    private readonly privacyRequests: PrivacyRequestsService,
  ) {}

  /**
   * Runs a sync of the source in this process and returns the finished run — unless one is already
   * running, in this or any other process, in which case nothing is done.
   */
  async sync(sourceId: string, options: SyncOptions = {}): Promise<SyncOutcome> {
    const source = await this.sources.find(sourceId, options.workspaceId);
    const connector = this.registry.get(source.connector_id);
    const attempt = await this.runs.tryStart({
      workspaceId: source.workspace_id,
      sourceId: source.id,
      trigger: options.trigger ?? 'manual',
      mode: options.mode ?? 'incremental',
      queuedRunId: options.runId,
    });
    if ('busy' in attempt) return { started: false, reason: 'already_running', runningRunId: attempt.busy.runningRunId };
    if ('cancelled' in attempt) return { started: false, reason: 'cancelled', run: runView(attempt.cancelled) };
    const running = this.runner.run(source, connector, attempt.started, { onProgress: options.onProgress });
    this.inFlight.add(running);
    try {
      return { started: true, run: await running };
    } finally {
      this.inFlight.delete(running);
    }
  }

  /** Records a queued run of the source ("sync now") for a scheduler to hand to a worker. */
  async enqueue(sourceId: string, options: { workspaceId?: string; mode?: SyncMode } = {}): Promise<SyncRunView> {
    const source = await this.sources.find(sourceId, options.workspaceId);
    this.registry.get(source.connector_id);
    return this.runs.enqueue(source.workspace_id, source.id, 'manual', options.mode ?? 'incremental');
  }

  /** Asks a run to stop: at once when it runs in this process, at its next batch otherwise. */
  async cancel(runId: string, workspaceId?: string): Promise<SyncRunView> {
    const run = await this.runs.requestCancel(runId, workspaceId);
    this.runner.abortLocal(run.id);
    return run;
  }

  /**
   * Verifies and ingests an inbound webhook of a source. A signature that does not verify raises
   * `SyncException('WEBHOOK_SIGNATURE_INVALID')` (for the API: 401) and nothing is ingested; a payload
   * the connector cannot read raises `INVALID_WEBHOOK_PAYLOAD`, a malformed privacy request
   * `INVALID_PRIVACY_REQUEST` (nothing is stored either way). The facts are ingested in one
   * transaction with the dead letters of those the ingest refuses; then the privacy requests the
   * webhook forwarded are carried out, before the answer.
   */
  async handleWebhook(sourceId: string, request: WebhookRequest, workspaceId?: string): Promise<WebhookOutcome> {
    const source = await this.sources.find(sourceId, workspaceId);
    const connector = this.registry.get(source.connector_id);
    if (!source.enabled) throw new SyncException('SOURCE_DISABLED', `source ${source.id} is disabled`, { sourceId: source.id });
    if (!connector.manifest.capabilities.webhooks || !connector.parseWebhook) {
      throw new SyncException('WEBHOOKS_NOT_SUPPORTED', `connector "${connector.manifest.id}" does not receive webhooks`, { sourceId: source.id });
    }
    const config = parseConfig(connector, this.sources.fullConfig(source));
    let parsed;
    try {
      parsed = await connector.parseWebhook(request, config, createConnectorContext({ signal: AbortSignal.timeout(30_000) }));
    } catch (error) {
      if (isConnectorError(error) && error.code === 'WEBHOOK_SIGNATURE') {
        throw new SyncException('WEBHOOK_SIGNATURE_INVALID', 'the webhook signature does not verify', { sourceId: source.id });
      }
      if (isConnectorError(error) && error.code === 'INVALID_RECORD') {
        throw new SyncException('INVALID_WEBHOOK_PAYLOAD', `the webhook payload cannot be read: ${error.message}`, { sourceId: source.id });
      }
      throw error;
    }
    const privacyRequests = validPrivacyRequests(parsed.privacyRequests, source.id);
    const { result } = await this.ingest.ingestWithin(source.workspace_id, parsed.facts, {
      deadLetters: { sourceId: source.id, locate: (index) => `webhook fact ${index}` },
    });
    const carriedOut = await this.carryOutPrivacyRequests(source.workspace_id, source.id, privacyRequests);
    return { result, response: parsed.response, privacyRequests: carriedOut };
  }

  /**
   * Carries out, one after the other, the privacy requests a source's webhook forwarded: each erases
   * or exports the profiles its identities resolve to. A reference carried out before does nothing new.
   */
  private async carryOutPrivacyRequests(workspaceId: string, sourceId: string, requests: PrivacyRequest[]): Promise<PrivacyRequestOutcome[]> {
    const outcomes: PrivacyRequestOutcome[] = [];
    for (const request of requests) outcomes.push(await this.privacyRequests.carryOut(workspaceId, sourceId, request));
    return outcomes;
  }

  /**
   * Stops every run of this process (shutdown, Ctrl-C in the CLI): each ends at its next message,
   * recorded as cancelled, with its committed checkpoints kept for the next run to resume from.
   */
  async stopLocalRuns(): Promise<void> {
    this.runner.abortAll();
    await Promise.allSettled([...this.inFlight]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopLocalRuns();
  }
}

/**
 * The privacy requests of a webhook, validated before anything of the webhook is stored: one malformed
 * request refuses the whole call (the channel redelivers it once its connector is fixed). The
 * message names the fields, never their values.
 */
function validPrivacyRequests(requests: unknown, sourceId: string): PrivacyRequest[] {
  if (requests === undefined) return [];
  if (!Array.isArray(requests)) throw new SyncException('INVALID_PRIVACY_REQUEST', 'the webhook\'s privacyRequests must be a list', { sourceId });
  return requests.map((input, index) => {
    const validation = validatePrivacyRequest(input);
    if (!validation.ok) throw new SyncException('INVALID_PRIVACY_REQUEST', `privacy request ${index} of the webhook is not valid: ${validation.reason}`, { sourceId, index });
    return validation.request;
  });
}
