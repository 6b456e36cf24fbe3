import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createConnectorContext, type CheckResult, type Connector } from '@portrait/connector-sdk';
import type { DataSource } from 'typeorm';
import { resealColumn } from '../../engine/crypto/reseal.js';
import { SecretBox } from '../../engine/crypto/secret-box.js';
import { PluginRegistry } from './plugin-registry.js';
import { SyncScheduler } from './scheduler/sync-scheduler.js';
import { configProblems, isConfigObject, maskSecrets, parseConfig, scheduleProblem, splitSecrets, unmaskSecrets } from './source-config.js';
import { redactSecrets, SourceRepository, scheduledSource, type SourceRow } from './source-repository.js';
import { InvalidSourceConfigException, type SourceConfigFieldError } from './sync.exception.js';

export interface CreateSourceInput {
  connectorId: string;
  name: string;
  config: unknown;
  /** Cron expression; the connector's default schedule when absent. */
  schedule?: string;
  enabled?: boolean;
}

export interface UpdateSourceInput {
  name?: string;
  /** The whole configuration; a secret field sent as `********` keeps its stored value. */
  config?: unknown;
  schedule?: string;
  enabled?: boolean;
}

/** A source as shown outside the engine: secret fields read `********`. */
export interface SourceView {
  id: string;
  workspaceId: string;
  connectorId: string;
  name: string;
  config: Record<string, unknown>;
  schedule: string;
  enabled: boolean;
  status: 'ok' | 'needs_attention';
  statusReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The sources of a workspace: a connector plus its configuration, validated field by field against
 * the connector's schema; secret fields sealed at rest and masked on the way out. Changes reach the
 * scheduler.
 */
@Injectable()
export class SourcesService {
  private readonly logger = new Logger(SourcesService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: PluginRegistry,
    private readonly repository: SourceRepository,
    private readonly secretBox: SecretBox,
    private readonly scheduler: SyncScheduler,
  ) {}

  async create(workspaceId: string, input: CreateSourceInput): Promise<SourceView> {
    const connector = this.registry.get(input.connectorId);
    const schedule = input.schedule ?? connector.manifest.defaultSchedule;
    const config = this.validate(connector, input.config, { name: input.name, schedule });
    const { plain, secrets } = splitSecrets(connector, config);
    const sealed = Object.keys(secrets).length ? this.secretBox.seal(JSON.stringify(secrets)) : undefined;
    const [row]: SourceRow[] = await this.dataSource.query(
      `INSERT INTO sources (workspace_id, connector_id, name, config, secrets, secrets_key_id, schedule, enabled)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (workspace_id, name) DO NOTHING RETURNING *`,
      [workspaceId, connector.manifest.id, input.name.trim(), JSON.stringify(plain), sealed?.ciphertext ?? null, sealed?.keyId ?? null, schedule, input.enabled ?? true],
    );
    if (!row) throw new InvalidSourceConfigException(connector.manifest.id, [{ field: 'name', message: `a source named "${input.name.trim()}" already exists in this workspace` }]);
    await this.reschedule(() => this.scheduler.schedule(scheduledSource(row)));
    return this.view(row);
  }

  async update(workspaceId: string, sourceId: string, input: UpdateSourceInput): Promise<SourceView> {
    const row = await this.repository.find(sourceId, workspaceId);
    const connector = this.registry.get(row.connector_id);
    const name = input.name ?? row.name;
    const schedule = input.schedule ?? row.schedule;
    let plain = row.config;
    let sealed = row.secrets && row.secrets_key_id ? { ciphertext: row.secrets, keyId: row.secrets_key_id } : undefined;
    if (input.config !== undefined) {
      const stored = this.repository.secretsOf(row);
      const config = this.validate(connector, isConfigObject(input.config) ? unmaskSecrets(connector, input.config, stored) : input.config, { name, schedule });
      const split = splitSecrets(connector, config);
      plain = split.plain;
      const unchanged = JSON.stringify(split.secrets) === JSON.stringify(stored);
      sealed = unchanged ? sealed : Object.keys(split.secrets).length ? this.secretBox.seal(JSON.stringify(split.secrets)) : undefined;
    } else {
      this.validate(connector, this.repository.fullConfig(row), { name, schedule });
    }
    const [[updated]]: [SourceRow[], number] = await this.dataSource.query(
      `UPDATE sources SET name = $3, config = $4, secrets = $5, secrets_key_id = $6, schedule = $7, enabled = $8, updated_at = now()
       WHERE id = $1 AND workspace_id = $2 RETURNING *`,
      [row.id, workspaceId, name.trim(), JSON.stringify(plain), sealed?.ciphertext ?? null, sealed?.keyId ?? null, schedule, input.enabled ?? row.enabled],
    );
    await this.reschedule(() => this.scheduler.schedule(scheduledSource(updated!)));
    return this.view(updated!);
  }

  enable(workspaceId: string, sourceId: string): Promise<SourceView> {
    return this.update(workspaceId, sourceId, { enabled: true });
  }

  disable(workspaceId: string, sourceId: string): Promise<SourceView> {
    return this.update(workspaceId, sourceId, { enabled: false });
  }

  /** Deletes the source with its checkpoints, runs and dead letters. Profiles it fed stay. */
  /** Seals again under the current key every source's secrets sealed under another (`portrait secrets rotate`); answers how many. */
  resealSecrets(): Promise<number> {
    return resealColumn(this.dataSource, this.secretBox, { table: 'sources', ciphertext: 'secrets', keyId: 'secrets_key_id' });
  }

  async delete(workspaceId: string, sourceId: string): Promise<void> {
    const row = await this.repository.find(sourceId, workspaceId);
    await this.dataSource.query(`DELETE FROM sources WHERE id = $1 AND workspace_id = $2`, [row.id, workspaceId]);
    await this.reschedule(() => this.scheduler.unschedule(row.id));
  }

  async get(workspaceId: string, sourceId: string): Promise<SourceView> {
    return this.view(await this.repository.find(sourceId, workspaceId));
  }

  async list(workspaceId: string): Promise<SourceView[]> {
    const rows: SourceRow[] = await this.dataSource.query(`SELECT * FROM sources WHERE workspace_id = $1 ORDER BY created_at, id`, [workspaceId]);
    return rows.map((row) => this.view(row));
  }

  /**
   * The admin's "Test connection": the connector's check with the stored configuration. A check that
   * throws (the channel unreachable, a timeout) answers not ok with its message; a reason never
   * quotes the source's secrets.
   */
  async check(workspaceId: string, sourceId: string): Promise<CheckResult> {
    const row = await this.repository.find(sourceId, workspaceId);
    const connector = this.registry.get(row.connector_id);
    let secrets: string[] = [];
    let result: CheckResult;
    try {
      secrets = this.repository.secretValues(row);
      const config = parseConfig(connector, this.repository.fullConfig(row));
      result = await connector.check(config, createConnectorContext({ signal: AbortSignal.timeout(60_000) }));
    } catch (error) {
      result = { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
    return result.ok ? result : { ok: false, reason: redactSecrets(result.reason, secrets) };
  }

  /**
   * Applies a change to the scheduler. The source is already saved: when the scheduler cannot be
   * reached (Redis away), the worker catches up when it next reconciles the schedules.
   */
  private async reschedule(change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (error) {
      this.logger.warn({ err: error }, 'the sync schedule could not be updated now (the worker will catch up)');
    }
  }

  private validate(connector: Connector, config: unknown, fields: { name: string; schedule: string }): Record<string, unknown> {
    const errors: SourceConfigFieldError[] = [];
    if (typeof fields.name !== 'string' || fields.name.trim() === '') errors.push({ field: 'name', message: 'must not be empty' });
    else if (fields.name.trim().length > 200) errors.push({ field: 'name', message: 'must be at most 200 characters' });
    const problem = scheduleProblem(fields.schedule);
    if (problem) errors.push({ field: 'schedule', message: problem });
    if (!isConfigObject(config)) errors.push({ field: 'config', message: 'must be an object' });
    else errors.push(...configProblems(connector, config).map((e) => ({ field: `config.${e.field}`.replace(/\.\(config\)$/, ''), message: e.message })));
    if (errors.length) throw new InvalidSourceConfigException(connector.manifest.id, errors);
    return config as Record<string, unknown>;
  }

  /** Which secret fields are set. When the stored secrets cannot be opened (a key is missing), all of them read as set. */
  private setSecretFields(connector: Connector, row: SourceRow): Record<string, unknown> {
    if (!row.secrets) return {};
    try {
      return this.repository.secretsOf(row);
    } catch {
      return Object.fromEntries(connector.manifest.secretFields.map((field) => [field, true]));
    }
  }

  private view(row: SourceRow): SourceView {
    const connector = this.registry.has(row.connector_id) ? this.registry.get(row.connector_id) : undefined;
    const config = connector ? maskSecrets(connector, row.config, this.setSecretFields(connector, row)) : { ...row.config };
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      connectorId: row.connector_id,
      name: row.name,
      config,
      schedule: row.schedule,
      enabled: row.enabled,
      status: row.status,
      statusReason: row.status_reason,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }
}
