import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { isUuid } from '../profiles/profiles.service.js';
import { API_KEY_SCOPES, type ApiKeyScope } from './api-key-scopes.js';
import { ApiKeyException } from './api-key.exception.js';
import { generateApiKey, hashApiKey } from './api-key-secret.js';

/** Requests per minute of a key created without an explicit limit. */
export const DEFAULT_API_KEY_RATE_LIMIT = 600;
/** A key's last-used time is written at most this often (per process, and never twice within it across processes). */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;
/**
 * How long a process trusts a key it has just checked without asking the database again. A revocation
 * takes effect at once in the process that made it, and within this time in the others.
 */
export const API_KEY_RECHECK_MS = 5_000;
/** Keys remembered at most (the oldest checked is forgotten first). */
const PRINCIPAL_CACHE_SIZE = 10_000;

export const createApiKeySchema = z.object({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').default('api key'),
  scopes: z
    .array(z.enum(API_KEY_SCOPES, { error: `must be one of ${API_KEY_SCOPES.join(', ')}` }))
    .min(1, 'a key needs at least one scope'),
  rateLimitPerMinute: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000).default(DEFAULT_API_KEY_RATE_LIMIT),
});

export type CreateApiKeyInput = z.input<typeof createApiKeySchema>;

/** An API key as shown to people: never its secret nor its hash. */
export interface ApiKeyView {
  id: string;
  workspaceId: string;
  name: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  scopes: ApiKeyScope[];
  rateLimitPerMinute: number;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Who is calling, once a presented key was recognized. */
export interface ApiKeyPrincipal {
  keyId: string;
  workspaceId: string;
  scopes: ApiKeyScope[];
  rateLimitPerMinute: number;
}

interface ApiKeyRow {
  id: string;
  workspace_id: string;
  name: string;
  key_prefix: string;
  scopes: ApiKeyScope[];
  rate_limit_per_minute: number;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = `id, workspace_id, name, key_prefix, scopes, rate_limit_per_minute, created_at, last_used_at, revoked_at`;

/**
 * API keys of the public API: created for a workspace with scopes and a rate limit, shown once,
 * stored as a digest, revocable, with a last-used time.
 */
@Injectable()
export class ApiKeysService {
  private readonly lastUsedWrites = new Map<string, number>();
  /** Recently checked keys by digest, with when to check them again. */
  private readonly principals = new Map<string, { principal: ApiKeyPrincipal; until: number }>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates a key; the returned `key` is the only time the full key exists outside the caller's hands. */
  async create(workspaceId: string, input: CreateApiKeyInput): Promise<{ apiKey: ApiKeyView; key: string }> {
    const parsed = createApiKeySchema.safeParse(input);
    if (!parsed.success) {
      throw new ApiKeyException(
        'INVALID_API_KEY_INPUT',
        parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '),
        { errors: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) },
      );
    }
    const { name, scopes, rateLimitPerMinute } = parsed.data;
    const generated = generateApiKey();
    const [row] = await this.dataSource.query(
      `INSERT INTO api_keys (workspace_id, name, key_prefix, key_hash, scopes, rate_limit_per_minute)
       VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING ${COLUMNS}`,
      [workspaceId, name, generated.displayPrefix, generated.hash, [...new Set(scopes)], rateLimitPerMinute],
    );
    return { apiKey: toView(row), key: generated.key };
  }

  /** Keys of one workspace, or of all workspaces, oldest first. */
  async list(workspaceId?: string): Promise<ApiKeyView[]> {
    const found: ApiKeyRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM api_keys WHERE ($1::uuid IS NULL OR workspace_id = $1) ORDER BY created_at, id`,
      [workspaceId ?? null],
    );
    return found.map(toView);
  }

  /**
   * Revokes a key at once (idempotent: a revoked key keeps its first revocation time). With a workspace,
   * a key of another workspace is API_KEY_NOT_FOUND.
   */
  async revoke(id: string, workspaceId?: string): Promise<ApiKeyView> {
    if (!isUuid(id)) throw new ApiKeyException('API_KEY_NOT_FOUND', `api key ${id} does not exist`);
    const [row] = await this.dataSource.query(
      // As a CTE so that the driver answers with the rows (it answers an UPDATE with [rows, count]).
      `WITH revoked AS (UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND ($2::uuid IS NULL OR workspace_id = $2) RETURNING ${COLUMNS})
       SELECT * FROM revoked`,
      [id, workspaceId ?? null],
    );
    if (!row) throw new ApiKeyException('API_KEY_NOT_FOUND', `api key ${id} does not exist`);
    for (const [digest, cached] of this.principals) if (cached.principal.keyId === id) this.principals.delete(digest);
    return toView(row);
  }

  /**
   * The principal of a presented key, or undefined when it is unknown or revoked. A key checked in the
   * last API_KEY_RECHECK_MS is not looked up again (a request then costs the API no extra round trip).
   * Records when the key was last used, writing at most once a minute per key.
   */
  async authenticate(presented: string): Promise<ApiKeyPrincipal | undefined> {
    const hash = hashApiKey(presented);
    if (!hash) return undefined;
    const now = Date.now();
    const digest = hash.toString('hex');
    const cached = this.principals.get(digest);
    if (cached && cached.until > now) {
      await this.touch(cached.principal.keyId);
      return cached.principal;
    }
    this.principals.delete(digest);
    const [row] = await this.dataSource.query(
      `SELECT id, workspace_id, scopes, rate_limit_per_minute FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
      [hash],
    );
    if (!row) return undefined;
    const principal: ApiKeyPrincipal = { keyId: row.id, workspaceId: row.workspace_id, scopes: row.scopes, rateLimitPerMinute: row.rate_limit_per_minute };
    if (this.principals.size >= PRINCIPAL_CACHE_SIZE) this.principals.delete(this.principals.keys().next().value!);
    this.principals.set(digest, { principal, until: now + API_KEY_RECHECK_MS });
    await this.touch(row.id);
    return principal;
  }

  private async touch(id: string): Promise<void> {
    const now = Date.now();
    const last = this.lastUsedWrites.get(id);
    if (last !== undefined && now - last < LAST_USED_WRITE_INTERVAL_MS) return;
    this.lastUsedWrites.set(id, now);
    await this.dataSource.query(
      `UPDATE api_keys SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [id, LAST_USED_WRITE_INTERVAL_MS / 1000],
    );
  }
}

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    prefix: row.key_prefix,
    scopes: row.scopes,
    rateLimitPerMinute: row.rate_limit_per_minute,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}
