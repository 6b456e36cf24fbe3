import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { freeKey, handleFromName, isKeyTaken } from '../../engine/database/handle-keys.js';
import { keysetPage, type PageQuery } from '../profiles/keyset-page.js';
import { decodeCursor, encodeCursor, isUuid, pageLimit, type Page } from '../profiles/profiles.service.js';
import { SegmentCatalogService } from '../segments/segment-catalog.service.js';
import { weightedConditionErrors } from '../segments/weighted-conditions.js';
import { DEFAULT_ICP_THRESHOLD, icpEnvelopeSchema, type IcpCriterion } from './icp-definition.js';
import { IcpScoringService } from './icp-scoring.service.js';
import { IcpException, type IcpFieldError } from './icp.exception.js';

export interface IcpView {
  id: string;
  name: string;
  /** A stable handle (lower-case letters, digits, `-`, `_`), unique among the workspace's ICPs. */
  key: string;
  description: string | null;
  criteria: IcpCriterion[];
  /** The fit score (0 to 100) an account must reach to be qualified. */
  threshold: number;
  /** The criteria's revision: 1 when created, bumped by each update that changes the criteria or the threshold. */
  version: number;
  /** Live accounts scored. */
  accounts: number;
  /** Of them, those qualified. */
  qualified: number;
  createdAt: string;
  updatedAt: string;
}

/** How an ICP's accounts spread over fit scores. */
export interface IcpDistribution {
  icp: string;
  threshold: number;
  accounts: number;
  qualified: number;
  /** Ten buckets of ten points: 0–9, 10–19, … 90–100 (100 falls in the last one). */
  buckets: { from: number; to: number; accounts: number }[];
}

/** An account's score for an ICP, and which criteria (their indexes) it meets. */
export interface IcpAccountScore {
  accountId: string;
  score: number;
  qualified: boolean;
  matched: number[];
  scoredAt: string;
}

/** A profile's scores across the workspace's ICPs (an account's own). */
export interface IcpScoreView {
  icp: string;
  name: string;
  score: number;
  qualified: boolean;
  threshold: number;
}

interface ValidIcp {
  name: string;
  key?: string;
  description: string | null;
  criteria: IcpCriterion[];
  threshold: number;
}

type IcpRow = {
  id: string;
  name: string;
  key: string;
  description: string | null;
  criteria: IcpCriterion[];
  threshold: number;
  version: number;
  accounts: number;
  qualified: number;
  created_at: Date;
  updated_at: Date;
};

const invalidCursor = () => new IcpException('INVALID_CURSOR', 'cursor is not one this API returned');

/** The ICP's columns, and its scored and qualified live accounts counted on the ranking index. */
const ICP_COLUMNS = `i.*,
  (SELECT count(*) FROM icp_scores s WHERE s.icp_id = i.id)::int AS accounts,
  (SELECT count(*) FROM icp_scores s WHERE s.icp_id = i.id AND s.qualified)::int AS qualified`;

const toIcpView = (row: IcpRow): IcpView => ({
  id: row.id,
  name: row.name,
  key: row.key,
  description: row.description,
  criteria: row.criteria,
  threshold: row.threshold,
  version: row.version,
  accounts: row.accounts,
  qualified: row.qualified,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/**
 * Leaves a criterion may not hold: ICP fits are derived in the first phase after a profile change,
 * beside personas, before segments; a criterion can depend neither on a fit (its own result), nor on
 * a persona or a segment's membership (derived in the same phase or later).
 */
const REFUSED_IN_CRITERIA: Record<string, string> = {
  icp: 'a criterion cannot refer to an ICP: fits are what criteria compute',
  persona: 'a criterion cannot refer to a persona: personas are assigned beside ICP fits',
  segment: 'a criterion cannot refer to a segment: segments are evaluated after ICP fits',
};

/** `Mid-market SaaS` → `mid-market-saas`; `icp` when nothing of the name is left. */
export function icpKeyFromName(name: string): string {
  return handleFromName(name, 'icp');
}

/**
 * Ideal customer profiles: weighted criteria over accounts in the segment condition language and a
 * qualification threshold, validated against the workspace's data like segment definitions. Creating,
 * changing or deleting an ICP scores the workspace's accounts again (`IcpScoringService`) before
 * answering.
 */
@Injectable()
export class IcpsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly catalog: SegmentCatalogService,
    private readonly scoring: IcpScoringService,
  ) {}

  /**
   * Checks an ICP: its shape, then each criterion's condition against the condition language and the
   * workspace's observed trait types. Throws INVALID_ICP with every problem and its path
   * (`criteria.0.condition.all[1].op`, `criteria.1.minPeople`, `threshold`).
   */
  async validate(workspaceId: string, input: unknown): Promise<ValidIcp> {
    const parsed = icpEnvelopeSchema.safeParse(input);
    const errors: IcpFieldError[] = await weightedConditionErrors(parsed, input, 'criteria', () => this.catalog.catalog(workspaceId), (kind) => REFUSED_IN_CRITERIA[kind]);
    if (errors.length || !parsed.success) {
      const first = errors[0] ?? { field: '(body)', message: 'is not a valid ICP' };
      throw new IcpException('INVALID_ICP', `the ICP is invalid: ${first.field}: ${first.message}`, errors.length ? errors : [first]);
    }
    const { name, key, description, criteria: valid, threshold } = parsed.data;
    return {
      name,
      key,
      description: description ?? null,
      criteria: valid.map((c) => ({
        kind: c.kind ?? 'account',
        condition: c.condition as IcpCriterion['condition'],
        weight: c.weight,
        ...(c.minPeople === undefined ? {} : { minPeople: c.minPeople }),
        ...(c.label === undefined ? {} : { label: c.label }),
      })),
      threshold: threshold ?? DEFAULT_ICP_THRESHOLD,
    };
  }

  /** Creates an ICP and scores the workspace's accounts. */
  async create(workspaceId: string, input: unknown): Promise<IcpView> {
    const icp = await this.validate(workspaceId, input);
    const key = await freeKey(this.dataSource, 'icps', workspaceId, icp, icpKeyFromName);
    const [row]: { id: string }[] = await this.dataSource
      .query(`INSERT INTO icps (workspace_id, name, key, description, criteria, threshold) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, [
        workspaceId,
        icp.name,
        key,
        icp.description,
        JSON.stringify(icp.criteria),
        icp.threshold,
      ])
      .catch((error: unknown) => this.keyTaken(error, key));
    await this.scoring.rescoreAll(workspaceId);
    return this.get(workspaceId, row!.id);
  }

  /** Replaces an ICP (its key stays unless another is given) and scores the workspace's accounts again. */
  async update(workspaceId: string, id: string, input: unknown): Promise<IcpView> {
    const current = await this.get(workspaceId, id);
    const icp = await this.validate(workspaceId, input);
    const key = await freeKey(this.dataSource, 'icps', workspaceId, icp, icpKeyFromName, current.key);
    await this.dataSource
      .query(
        `UPDATE icps SET name = $3, key = $4, description = $5, criteria = $6, threshold = $7,
                version = version + CASE WHEN criteria IS DISTINCT FROM $6::jsonb OR threshold IS DISTINCT FROM $7::smallint THEN 1 ELSE 0 END, updated_at = now()
         WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`,
        [workspaceId, id, icp.name, key, icp.description, JSON.stringify(icp.criteria), icp.threshold],
      )
      .catch((error: unknown) => this.keyTaken(error, key));
    await this.scoring.rescoreAll(workspaceId);
    return this.get(workspaceId, id);
  }

  /** Deletes an ICP and its scores; every profile's best fit is set again from the ICPs left. */
  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    await this.dataSource.query(`UPDATE icps SET deleted_at = now() WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`, [workspaceId, id]);
    await this.dataSource.query(`DELETE FROM icp_scores WHERE workspace_id = $1 AND icp_id = $2`, [workspaceId, id]);
    await this.scoring.rescoreAll(workspaceId);
  }

  /** An ICP with its counts. */
  async get(workspaceId: string, id: string): Promise<IcpView> {
    if (!isUuid(id)) throw new IcpException('ICP_NOT_FOUND', `ICP ${id} does not exist`);
    const [row]: IcpRow[] = await this.dataSource.query(`SELECT ${ICP_COLUMNS} FROM icps i WHERE i.workspace_id = $1 AND i.id = $2 AND i.deleted_at IS NULL`, [workspaceId, id]);
    if (!row) throw new IcpException('ICP_NOT_FOUND', `ICP ${id} does not exist`);
    return toIcpView(row);
  }

  /** An ICP by its key. */
  async getByKey(workspaceId: string, key: string): Promise<IcpView> {
    const [row]: IcpRow[] = await this.dataSource.query(`SELECT ${ICP_COLUMNS} FROM icps i WHERE i.workspace_id = $1 AND i.key = $2 AND i.deleted_at IS NULL`, [workspaceId, key]);
    if (!row) throw new IcpException('ICP_NOT_FOUND', `ICP ${key} does not exist`);
    return toIcpView(row);
  }

  /** ICPs of the workspace, oldest first, keyset-paginated. */
  async list(workspaceId: string, query: PageQuery = {}): Promise<Page<IcpView>> {
    const { rows, nextCursor } = await keysetPage<IcpRow>(
      this.dataSource,
      { time: 'i.created_at', id: 'i.id' },
      query,
      [workspaceId],
      ({ after, keys, orderAndLimit }) => `SELECT ${ICP_COLUMNS}, ${keys} FROM icps i WHERE i.workspace_id = $1 AND i.deleted_at IS NULL ${after} ${orderAndLimit}`,
      invalidCursor,
    );
    return { data: rows.map(toIcpView), nextCursor };
  }

  /** How the ICP's accounts spread over fit scores: ten buckets, and how many are qualified. */
  async distribution(workspaceId: string, id: string): Promise<IcpDistribution> {
    const icp = await this.get(workspaceId, id);
    const rows: { bucket: number; accounts: number }[] = await this.dataSource.query(
      `SELECT least(score / 10, 9)::int AS bucket, count(*)::int AS accounts FROM icp_scores WHERE icp_id = $1 GROUP BY 1`,
      [icp.id],
    );
    const counts = new Map(rows.map((r) => [r.bucket, r.accounts]));
    return {
      icp: icp.key,
      threshold: icp.threshold,
      accounts: icp.accounts,
      qualified: icp.qualified,
      buckets: Array.from({ length: 10 }, (_, b) => ({ from: b * 10, to: b === 9 ? 100 : b * 10 + 9, accounts: counts.get(b) ?? 0 })),
    };
  }

  /**
   * The ICP's scored accounts, best first (score, then account id), keyset-paginated; only the
   * qualified ones with `qualified: true`, only those from a score with `minScore`.
   */
  async accounts(workspaceId: string, id: string, query: PageQuery & { qualified?: boolean; minScore?: number } = {}): Promise<Page<IcpAccountScore>> {
    const icp = await this.get(workspaceId, id);
    const limit = pageLimit(query.limit);
    const params: unknown[] = [icp.id, limit + 1];
    const add = (value: unknown) => `$${params.push(value)}`;
    const where: string[] = [];
    if (query.cursor) {
      const [score, account] = decodeCursor(query.cursor);
      if (!score || !/^\d{1,3}$/.test(score) || !account || !isUuid(account)) throw invalidCursor();
      where.push(`(s.score, s.account_id) < (${add(Number(score))}::smallint, ${add(account)}::uuid)`);
    }
    if (query.qualified !== undefined) where.push(`s.qualified = ${add(query.qualified)}`);
    if (query.minScore !== undefined) where.push(`s.score >= ${add(query.minScore)}`);
    const found: { account_id: string; score: number; qualified: boolean; matched: number[]; scored_at: Date }[] = await this.dataSource.query(
      `SELECT s.account_id, s.score, s.qualified, s.matched, s.scored_at FROM icp_scores s
       WHERE s.icp_id = $1 ${where.map((w) => `AND ${w}`).join(' ')} ORDER BY s.score DESC, s.account_id DESC LIMIT $2`,
      params,
    );
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((r) => ({ accountId: r.account_id, score: r.score, qualified: r.qualified, matched: r.matched, scoredAt: new Date(r.scored_at).toISOString() })),
      nextCursor: found.length > limit && last ? encodeCursor([last.score, last.account_id]) : null,
    };
  }

  /** An account's score for each live ICP of the workspace, oldest ICP first (none for a person). */
  async scoresOf(workspaceId: string, accountId: string): Promise<IcpScoreView[]> {
    const rows: { key: string; name: string; score: number; qualified: boolean; threshold: number }[] = await this.dataSource.query(
      `SELECT i.key, i.name, s.score, s.qualified, i.threshold FROM icp_scores s JOIN icps i ON i.id = s.icp_id
       WHERE s.account_id = $2 AND i.workspace_id = $1 AND i.deleted_at IS NULL ORDER BY i.created_at, i.id`,
      [workspaceId, accountId],
    );
    return rows.map((r) => ({ icp: r.key, name: r.name, score: r.score, qualified: r.qualified, threshold: r.threshold }));
  }

  /** A unique violation on the key (taken by another ICP, or by two writers at once) as a field error. */
  private keyTaken(error: unknown, key: string): never {
    if (isKeyTaken(error, 'icps')) throw new IcpException('INVALID_ICP', `the ICP key ${key} is taken`, [{ field: 'key', message: 'another ICP of the workspace has this key' }]);
    throw error;
  }
}
