import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PrivacyRequest } from '@portrait/connector-sdk';
import type { DataSource } from 'typeorm';
import { resealColumn } from '../../engine/crypto/reseal.js';
import { SecretBox } from '../../engine/crypto/secret-box.js';
import { poolQuery } from '../../engine/database/sql.js';
import { ProfileException } from '../profiles/profile.exception.js';
import { isUuid, ProfilesService } from '../profiles/profiles.service.js';
import { PrivacyException } from './privacy.exception.js';
import { PrivacyService, type ProfileExport } from './privacy.service.js';

export type PrivacyRequestStatus = 'received' | 'completed' | 'no_match';

/** A privacy request as recorded: counts and the reference, never personal data. */
export interface PrivacyRequestView {
  id: string;
  sourceId: string | null;
  type: PrivacyRequest['type'];
  reference: string | null;
  status: PrivacyRequestStatus;
  /** How many identities the request named. */
  identities: number;
  /** How many profiles they resolved to (null until carried out). */
  profiles: number | null;
  /** Erase: rows deleted per table. */
  deleted: Record<string, number> | null;
  /** Export: whether an export is kept for an admin to fetch. */
  hasExport: boolean;
  requestedAt: string;
  completedAt: string | null;
}

/** What carrying out one request did. `repeated`: its reference was carried out before, nothing new was done. */
export type PrivacyRequestOutcome = PrivacyRequestView & { repeated: boolean };

interface PrivacyRequestRow {
  id: string;
  source_id: string | null;
  type: PrivacyRequest['type'];
  reference: string | null;
  status: PrivacyRequestStatus;
  identities: number;
  profiles: number | null;
  deleted: Record<string, number> | null;
  export_sealed: string | null;
  export_key_id: string | null;
  requested_at: Date;
  completed_at: Date | null;
}

const COLUMNS = `id, source_id, type, reference, status, identities, profiles, deleted, export_sealed, export_key_id, requested_at, completed_at`;

/**
 * Carries out the privacy requests channels forward (a person's erasure or data request) through
 * `PrivacyService`, and records them: an erasure as counts only, an export sealed with the
 * `SecretBox` for an admin to fetch. A request whose reference was carried out already is not carried
 * out again; one stopped part-way (its row still `received`) is carried out again on redelivery.
 */
@Injectable()
export class PrivacyRequestsService {
  private readonly logger = new Logger(PrivacyRequestsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly privacy: PrivacyService,
    private readonly profiles: ProfilesService,
    private readonly secretBox: SecretBox,
  ) {}

  /** Carries out one (validated) request of a source of the workspace. */
  async carryOut(workspaceId: string, sourceId: string, request: PrivacyRequest): Promise<PrivacyRequestOutcome> {
    // The claim: a new row, or the row of a redelivery not yet carried out. A completed one answers nothing.
    const [claimed] = await poolQuery<PrivacyRequestRow>(
      this.dataSource,
      `INSERT INTO privacy_requests (workspace_id, source_id, type, reference, identities) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace_id, source_id, type, reference) WHERE reference IS NOT NULL
       DO UPDATE SET identities = EXCLUDED.identities WHERE privacy_requests.status = 'received'
       RETURNING ${COLUMNS}`,
      [workspaceId, sourceId, request.type, request.reference ?? null, request.identities.length],
    );
    if (!claimed) {
      const [done] = await poolQuery<PrivacyRequestRow>(
        this.dataSource,
        `SELECT ${COLUMNS} FROM privacy_requests WHERE workspace_id = $1 AND source_id = $2 AND type = $3 AND reference = $4`,
        [workspaceId, sourceId, request.type, request.reference],
      );
      return { ...view(done!), repeated: true };
    }

    const profileIds = await this.resolve(workspaceId, request);
    let deleted: Record<string, number> | null = null;
    let sealed: { ciphertext: string; keyId: string } | null = null;
    if (request.type === 'erase') {
      deleted = {};
      for (const id of profileIds) {
        const report = await this.orNothing(() => this.privacy.erase(workspaceId, id));
        for (const [table, count] of Object.entries(report?.deleted ?? {})) deleted[table] = (deleted[table] ?? 0) + count;
      }
    } else {
      const exports: ProfileExport[] = [];
      for (const id of profileIds) {
        const found = await this.orNothing(() => this.privacy.export(workspaceId, id));
        if (found) exports.push(found);
      }
      // Personal data: sealed before it is stored. Nothing found, nothing kept: `no_match` says it.
      if (exports.length) sealed = this.secretBox.seal(JSON.stringify(exports));
    }

    // A concurrent redelivery may have completed it meanwhile: the first completion stays.
    const [completed] = await poolQuery<PrivacyRequestRow>(
      this.dataSource,
      `UPDATE privacy_requests
       SET status = CASE WHEN $2::int = 0 THEN 'no_match' ELSE 'completed' END, profiles = $2, deleted = $3::jsonb,
           export_sealed = $4, export_key_id = $5, completed_at = now()
       WHERE id = $1 AND status = 'received'
       RETURNING ${COLUMNS}`,
      [claimed.id, profileIds.length, deleted && JSON.stringify(deleted), sealed?.ciphertext ?? null, sealed?.keyId ?? null],
    );
    const outcome = completed ? { ...view(completed), repeated: false } : { ...(await this.get(workspaceId, claimed.id)), repeated: true };
    this.logger.log({ privacyRequestId: outcome.id, sourceId, type: outcome.type, status: outcome.status, profiles: outcome.profiles }, 'privacy request carried out');
    return outcome;
  }

  /** Seals again under the current key every stored export sealed under another (`portrait secrets rotate`); answers how many. */
  resealExports(): Promise<number> {
    return resealColumn(this.dataSource, this.secretBox, { table: 'privacy_requests', ciphertext: 'export_sealed', keyId: 'export_key_id' });
  }

  /** The workspace's privacy requests, newest first. */
  async list(workspaceId: string, options: { limit?: number } = {}): Promise<PrivacyRequestView[]> {
    const found = await poolQuery<PrivacyRequestRow>(
      this.dataSource,
      `SELECT ${COLUMNS} FROM privacy_requests WHERE workspace_id = $1 ORDER BY requested_at DESC, id LIMIT $2`,
      [workspaceId, Math.min(Math.max(options.limit ?? 100, 1), 1000)],
    );
    return found.map(view);
  }

  async get(workspaceId: string, id: string): Promise<PrivacyRequestView> {
    return view(await this.row(workspaceId, id));
  }

  /** The export a data request produced, opened: one `ProfileExport` per profile the person's identities resolved to. */
  async exportOf(workspaceId: string, id: string): Promise<{ request: PrivacyRequestView; exports: ProfileExport[] }> {
    const row = await this.row(workspaceId, id);
    if (!row.export_sealed || !row.export_key_id) {
      throw new PrivacyException('PRIVACY_EXPORT_NOT_FOUND', `privacy request ${id} has no export (${row.type}, ${row.status})`);
    }
    return { request: view(row), exports: JSON.parse(this.secretBox.open({ ciphertext: row.export_sealed, keyId: row.export_key_id })) as ProfileExport[] };
  }

  private async row(workspaceId: string, id: string): Promise<PrivacyRequestRow> {
    const [row] = isUuid(id)
      ? await poolQuery<PrivacyRequestRow>(this.dataSource, `SELECT ${COLUMNS} FROM privacy_requests WHERE workspace_id = $1 AND id = $2`, [workspaceId, id])
      : [];
    if (!row) throw new PrivacyException('PRIVACY_REQUEST_NOT_FOUND', `privacy request ${id} does not exist`);
    return row;
  }

  /**
   * The surviving profiles the request's identities resolve to, each value normalized as at ingest
   * (with the workspace's identity settings; a phone without a country prefix is read in the
   * workspace's default region, as a request carries no country). An identity that matches nothing
   * (or cannot be normalized, or is a blocked value) resolves to nothing.
   */
  private async resolve(workspaceId: string, request: PrivacyRequest): Promise<string[]> {
    const ids = new Set<string>();
    for (const identity of request.identities) {
      const found = await this.profiles.findByIdentity(workspaceId, identity.type, identity.value);
      if (found) ids.add(found.id);
    }
    return [...ids];
  }

  /** A profile gone meanwhile (erased, or merged into one already handled) is nothing to do, not an error. */
  private async orNothing<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProfileException && error.code === 'PROFILE_NOT_FOUND') return undefined;
      throw error;
    }
  }
}

function view(row: PrivacyRequestRow): PrivacyRequestView {
  return {
    id: row.id,
    sourceId: row.source_id,
    type: row.type,
    reference: row.reference,
    status: row.status,
    identities: row.identities,
    profiles: row.profiles,
    deleted: row.deleted,
    hasExport: row.export_sealed !== null,
    requestedAt: new Date(row.requested_at).toISOString(),
    completedAt: row.completed_at ? new Date(row.completed_at).toISOString() : null,
  };
}
