import { compileSegmentsForProfiles, type CompiledSegment } from '../segments/segment-compiler.js';
import type { IcpCriterion } from './icp-definition.js';

/** A live ICP as scoring reads it. */
export interface ScoringIcp {
  id: string;
  criteria: IcpCriterion[];
  threshold: number;
}

/** No segment is referenced from a criterion (the validator refuses segment leaves). */
const noSegments = () => undefined;

/**
 * The person's account: the account of the person's latest link (a person linked to a second account
 * has moved to it), among live accounts. `people` is a SQL relation with an `id` column (the people's
 * ids, of one workspace), aliased `x`; `columns` are more of its columns to carry along. Driven by the
 * people and the per-person index of links, whatever the planner believes of the relation's size.
 */
export const currentAccounts = (people: string, columns: string[] = []) => `
  SELECT DISTINCT ON (x.id) x.id AS person_id, l.account_id${columns.map((c) => `, x.${c}`).join('')}
  FROM ${people} x JOIN account_links l ON l.person_id = x.id JOIN profiles a ON a.id = l.account_id AND a.merged_into IS NULL
  ORDER BY x.id, l.created_at DESC, l.account_id DESC`;

/**
 * Appends a statement compiled on its own (whose `$1` is the same workspace) to `params`: its other
 * placeholders are renumbered after the parameters already there. Compiled statements carry every
 * name and value as a parameter, so a `$` followed by digits is always a placeholder.
 */
function append(params: unknown[], compiled: CompiledSegment): string {
  const offset = params.length - 1;
  params.push(...compiled.params.slice(1));
  return compiled.sql.replace(/\$(\d+)/g, (_, n: string) => (n === '1' ? '$1' : `$${Number(n) + offset}`));
}

/**
 * One statement scoring `accountIds` against every live ICP and writing `icp_scores`: account
 * criteria are evaluated by the segment compiler over the accounts (each read once, every condition a
 * column); people criteria over `peopleIds` (the people linked to them), counted per person's current
 * account. An account's score for an ICP is `round(100 × matched weight / total weight)` (exact numeric
 * arithmetic, halves up), qualified from the ICP's threshold. Only rows that change are written; the
 * scores of the given ids that are no live account any more (merged away, or of a deleted ICP) are
 * removed. Answers how many accounts were scored and the accounts whose scores changed.
 */
export function compileAccountScoring(workspaceId: string, icps: ScoringIcp[], accountIds: string[], peopleIds: string[]): CompiledSegment {
  const params: unknown[] = [workspaceId];
  const add = (value: unknown) => `$${params.push(value)}`;
  const flat = icps.flatMap((icp, j) => icp.criteria.map((criterion, k) => ({ icp: j + 1, index: k, criterion })));
  const onAccounts = flat.filter((f) => f.criterion.kind === 'account');
  const onPeople = flat.filter((f) => f.criterion.kind === 'people');
  const ctes: string[] = [];
  if (onAccounts.length) {
    // The account criteria evaluated over the live accounts among the ids: `accounts` with their columns.
    const compiled = compileSegmentsForProfiles(workspaceId, onAccounts.map((f) => ({ id: `${f.icp}/${f.index}`, definition: f.criterion.condition })), noSegments, accountIds);
    ctes.push(`accounts AS (${append(params, compiled)})`);
  } else {
    ctes.push(`accounts AS (SELECT p.id FROM profiles p WHERE p.workspace_id = $1::uuid AND p.merged_into IS NULL AND p.id IN (SELECT unnest(${add(accountIds)}::uuid[])))`);
  }
  if (onPeople.length) {
    const compiled = compileSegmentsForProfiles(workspaceId, onPeople.map((f) => ({ id: `${f.icp}/${f.index}`, definition: f.criterion.condition })), noSegments, peopleIds);
    const columns = onPeople.map((_, i) => `m${i}`);
    ctes.push(
      `ppl AS (${append(params, compiled)})`,
      // Each person counted once, for the account they are in now.
      `cur AS (${currentAccounts('ppl', columns)})`,
      `counts AS (SELECT c.account_id, ${columns.map((m, i) => `count(*) FILTER (WHERE c.${m})::int AS c${i}`).join(', ')} FROM cur c GROUP BY c.account_id)`,
    );
  }
  const hit = (f: (typeof flat)[number]) =>
    f.criterion.kind === 'account'
      ? `coalesce(a.m${onAccounts.indexOf(f)}, false)`
      : `coalesce(n.c${onPeople.indexOf(f)}, 0) >= ${add(f.criterion.minPeople ?? 1)}::int`;
  const hits = flat.map(hit);
  ctes.push(
    `hits AS (
       SELECT a.id AS account_id, r.icp, r.criterion, r.weight, r.hit
       FROM accounts a
       ${onPeople.length ? 'LEFT JOIN counts n ON n.account_id = a.id' : ''}
       CROSS JOIN LATERAL unnest(${add(flat.map((f) => f.icp))}::int[], ${add(flat.map((f) => f.index))}::int[], ${add(flat.map((f) => f.criterion.weight))}::numeric[],
                                 ARRAY[${hits.join(', ')}]::boolean[]) AS r(icp, criterion, weight, hit))`,
    `scored AS (
       SELECT h.account_id, c.id AS icp_id, c.threshold,
              round(100 * coalesce(sum(h.weight) FILTER (WHERE h.hit), 0) / sum(h.weight))::smallint AS score,
              coalesce(array_agg(h.criterion ORDER BY h.criterion) FILTER (WHERE h.hit), '{}'::int[]) AS matched
       FROM hits h JOIN unnest(${add(icps.map((i) => i.id))}::uuid[], ${add(icps.map((i) => i.threshold))}::int[]) WITH ORDINALITY AS c(id, threshold, ord) ON c.ord = h.icp
       GROUP BY h.account_id, c.id, c.threshold)`,
    `upserted AS (
       INSERT INTO icp_scores (icp_id, account_id, workspace_id, score, qualified, matched)
       SELECT s.icp_id, s.account_id, $1::uuid, s.score, s.score >= s.threshold, s.matched FROM scored s
       ON CONFLICT (icp_id, account_id) DO UPDATE SET score = EXCLUDED.score, qualified = EXCLUDED.qualified, matched = EXCLUDED.matched, scored_at = now()
         WHERE (icp_scores.score, icp_scores.qualified, icp_scores.matched) IS DISTINCT FROM (EXCLUDED.score, EXCLUDED.qualified, EXCLUDED.matched)
       RETURNING account_id)`,
  );
  return withRemoval(params, ctes, `NOT EXISTS (SELECT 1 FROM scored x WHERE x.account_id = s.account_id AND x.icp_id = s.icp_id)`, 'upserted', accountIds);
}

/** The scores of these ids removed (no live ICP left to score them by), as `compileAccountScoring` answers. */
export function compileScoreRemoval(workspaceId: string, accountIds: string[]): CompiledSegment {
  const params: unknown[] = [workspaceId];
  return withRemoval(params, [`accounts AS (SELECT NULL::uuid AS id WHERE false)`], 'true', undefined, accountIds);
}

function withRemoval(params: unknown[], ctes: string[], stale: string, upserted: string | undefined, accountIds: string[]): CompiledSegment {
  const ids = `$${params.push(accountIds)}`;
  ctes.push(`removed AS (DELETE FROM icp_scores s WHERE s.workspace_id = $1::uuid AND s.account_id IN (SELECT unnest(${ids}::uuid[])) AND ${stale} RETURNING s.account_id)`);
  return {
    sql: `WITH ${ctes.join(',\n')}
          SELECT (SELECT count(*) FROM accounts)::int AS scored,
                 ARRAY(SELECT account_id FROM removed ${upserted ? `UNION SELECT account_id FROM ${upserted}` : ''})::uuid[] AS changed`,
    params,
  };
}

/**
 * One statement setting each of `profileIds`' best fit from the scores: an account its own best score
 * across ICPs, a person its current account's (`icp_account_id`); `icp_qualified` when that account is
 * qualified for at least one ICP. Merged-away profiles, people without an account and accounts without
 * scores get none. Only rows that change are written; answers the live profiles that changed.
 */
export function compileFitUpdate(workspaceId: string, profileIds: string[]): CompiledSegment {
  return {
    sql: `WITH target AS (SELECT p.id, p.kind, p.merged_into IS NULL AS live FROM profiles p WHERE p.workspace_id = $1::uuid AND p.id IN (SELECT unnest($2::uuid[]))),
          cur AS (${currentAccounts(`(SELECT t.id FROM target t WHERE t.kind = 'person' AND t.live)`)}),
          best AS (
            SELECT t.id, t.live, max(s.score) AS fit, bool_or(s.qualified) AS qualified, CASE WHEN t.kind = 'person' AND max(s.score) IS NOT NULL THEN c.account_id END AS account_id
            FROM target t
            LEFT JOIN cur c ON c.person_id = t.id
            LEFT JOIN icp_scores s ON t.live AND s.account_id = CASE WHEN t.kind = 'account' THEN t.id ELSE c.account_id END
            GROUP BY t.id, t.kind, t.live, c.account_id),
          changed AS (
            UPDATE profiles p SET icp_fit = b.fit, icp_qualified = b.qualified, icp_account_id = b.account_id
            FROM best b
            WHERE p.id = b.id AND (p.icp_fit, p.icp_qualified, p.icp_account_id) IS DISTINCT FROM (b.fit, b.qualified, b.account_id)
            RETURNING p.id, b.live)
          SELECT ARRAY(SELECT id FROM changed WHERE live)::uuid[] AS changed`,
    params: [workspaceId, profileIds],
  };
}
