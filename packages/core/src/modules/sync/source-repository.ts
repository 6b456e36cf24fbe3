import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SecretBox } from '../../engine/crypto/secret-box.js';
import { isUuid } from '../profiles/profiles.service.js';
import { SyncException } from './sync.exception.js';

/** A `sources` row as stored: `config` without secrets, `secrets` sealed. */
export interface SourceRow {
  id: string;
  workspace_id: string;
  connector_id: string;
  name: string;
  config: Record<string, unknown>;
  secrets: string | null;
  secrets_key_id: string | null;
  schedule: string;
  enabled: boolean;
  status: 'ok' | 'needs_attention';
  status_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** What a scheduler needs of a source. */
export interface ScheduledSource {
  id: string;
  workspaceId: string;
  schedule: string;
  enabled: boolean;
}

/**
 * Reads and status updates of sources for the engine (runner, schedulers, webhooks), and the one
 * place sealed secrets are opened. Administrative changes go through `SourcesService`.
 */
@Injectable()
export class SourceRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly secretBox: SecretBox,
  ) {}

  /** The source, in this workspace when one is given. */
  async find(sourceId: string, workspaceId?: string): Promise<SourceRow> {
    const [row]: SourceRow[] = isUuid(sourceId)
      ? await this.dataSource.query(`SELECT * FROM sources WHERE id = $1 AND ($2::uuid IS NULL OR workspace_id = $2)`, [sourceId, workspaceId ?? null])
      : [];
    if (!row) throw new SyncException('SOURCE_NOT_FOUND', `source ${sourceId} does not exist`, { sourceId });
    return row;
  }

  /** The secret fields of a source, opened. */
  secretsOf(row: Pick<SourceRow, 'secrets' | 'secrets_key_id'>): Record<string, unknown> {
    if (!row.secrets || !row.secrets_key_id) return {};
    return JSON.parse(this.secretBox.open({ ciphertext: row.secrets, keyId: row.secrets_key_id })) as Record<string, unknown>;
  }

  /** The secret values of a source long enough to be recognized in a message, to redact them from errors. */
  secretValues(row: Pick<SourceRow, 'secrets' | 'secrets_key_id'>): string[] {
    return Object.values(this.secretsOf(row)).filter((v): v is string => typeof v === 'string' && v.length >= 4);
  }

  /** The whole configuration of a source, secrets included: only for calls to its connector. */
  fullConfig(row: SourceRow): Record<string, unknown> {
    return { ...row.config, ...this.secretsOf(row) };
  }

  async listEnabled(): Promise<ScheduledSource[]> {
    const rows: { id: string; workspace_id: string; schedule: string; enabled: boolean }[] = await this.dataSource.query(
      `SELECT id, workspace_id, schedule, enabled FROM sources WHERE enabled ORDER BY created_at`,
    );
    return rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id, schedule: r.schedule, enabled: r.enabled }));
  }

  async setStatus(sourceId: string, status: SourceRow['status'], reason: string | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE sources SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1 AND (status <> $2 OR status_reason IS DISTINCT FROM $3)`,
      [sourceId, status, reason],
    );
  }
}

export function scheduledSource(row: SourceRow): ScheduledSource {
  return { id: row.id, workspaceId: row.workspace_id, schedule: row.schedule, enabled: row.enabled };
}

/** `message` with every one of `secrets` replaced by `[redacted]` (errors of connectors may quote them). */
export function redactSecrets(message: string, secrets: readonly string[]): string {
  return secrets.reduce((text, secret) => text.split(secret).join('[redacted]'), message);
}
