import { createHash } from 'node:crypto';
import {
  abortableSleep,
  ConnectorRequestError,
  ConnectorTransientError,
  type ConnectorContext,
  type SegmentDiff,
  type SegmentMember,
  type SegmentSnapshot,
  type SegmentSyncResult,
} from '@portrait/connector-sdk';
import type { MailchimpConfig, MailchimpDestinationOptions } from './mailchimp.config.js';
import { createMarketingWrites, type BatchOperation, type MailchimpBatch, type MarketingWrites, type MemberTagStatus } from './transport/marketing-writes.js';

/**
 * A segment sent to Mailchimp becomes a tag on an audience of the source, both chosen when the segment
 * is connected (options `tag` and `audienceId`; by default the segment's key on the first audience):
 * members who enter get the tag (`active`), those who leave lose it (`inactive`). A person not yet in
 * the audience is added first (`PUT`, with the source's `statusIfNew`). Every call is idempotent, so
 * the engine's retries of a failed push are harmless. Up to `BATCH_THRESHOLD` members go one call at
 * a time (10 at once, the account's limit); a larger diff goes through batch operations, polled to
 * completion, whose per-operation results are read back.
 */

/** Diffs larger than this go through `/batches`. */
export const BATCH_THRESHOLD = 500;
/** The first poll of a batch's status after this, then twice as long each time, up to `POLL_MAX_MS`. */
const POLL_FIRST_MS = 200;
const POLL_MAX_MS = 5_000;
/** A batch not finished by then is left to finish: the push fails as transient and is retried (idempotently). */
const BATCH_DEADLINE_MS = 4 * 60_000;

interface Target {
  profileId: string;
  email: string;
  hash: string;
  status: MemberTagStatus;
}

export function subscriberHash(email: string): string {
  return createHash('md5').update(email.toLowerCase()).digest('hex');
}

export async function syncSegmentToMailchimp(
  segment: SegmentSnapshot<MailchimpDestinationOptions>,
  diff: SegmentDiff,
  config: MailchimpConfig,
  ctx: ConnectorContext,
): Promise<SegmentSyncResult> {
  const listId = segment.options.audienceId ?? config.audienceIds[0]!;
  const skipped: SegmentSyncResult['skipped'] = [];
  const targets: Target[] = [];
  const add = (members: SegmentMember[], status: MemberTagStatus) => {
    for (const member of members) {
      const email = member.identities.email?.[0]?.trim();
      if (!email) skipped.push({ profileId: member.profileId, reason: 'no email' });
      else targets.push({ profileId: member.profileId, email, hash: subscriberHash(email), status });
    }
  };
  add(diff.entered, 'active');
  add(diff.exited, 'inactive');

  const writes = createMarketingWrites(config, ctx);
  const tag = segment.options.tag ?? segment.key;
  const refused = targets.length > BATCH_THRESHOLD ? await syncInBatches(writes, listId, tag, targets, config, ctx) : await syncOneByOne(writes, listId, tag, targets, config);
  skipped.push(...refused);
  ctx.logger.info({ segment: segment.key, listId, tag, synced: targets.length - refused.length, skipped: skipped.length }, 'segment sent to Mailchimp');
  return { synced: targets.length - refused.length, skipped };
}

/** One call per member (two or three for a person new to the audience); the limiter keeps 10 at once. */
async function syncOneByOne(writes: MarketingWrites, listId: string, tag: string, targets: Target[], config: MailchimpConfig): Promise<SegmentSyncResult['skipped']> {
  const skipped: SegmentSyncResult['skipped'] = [];
  await Promise.all(
    targets.map(async (t) => {
      try {
        await writes.updateTags(listId, t.hash, [{ name: tag, status: t.status }]);
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        // Not in the audience: nothing to untag; someone entering is added, then tagged.
        if (t.status === 'inactive') return;
        try {
          await writes.upsertMember(listId, t.hash, { email_address: t.email, status_if_new: config.statusIfNew });
        } catch (upsert) {
          if (!(upsert instanceof ConnectorRequestError) || upsert.status >= 500) throw upsert;
          skipped.push({ profileId: t.profileId, reason: `Mailchimp refused to add the person to the audience (HTTP ${upsert.status})` });
          return;
        }
        await writes.updateTags(listId, t.hash, [{ name: tag, status: 'active' }]);
      }
    }),
  );
  return skipped;
}

/**
 * Two batches: the upsert of everyone entering (an existing member keeps its status), then every tag
 * change. Mailchimp runs a batch's operations in any order, hence two. A refused upsert skips the member;
 * an untag of someone not in the audience is nothing to do; a server error fails the push (retried).
 */
async function syncInBatches(
  writes: MarketingWrites,
  listId: string,
  tag: string,
  targets: Target[],
  config: MailchimpConfig,
  ctx: ConnectorContext,
): Promise<SegmentSyncResult['skipped']> {
  const byId = new Map(targets.map((t, i) => [String(i), t]));
  const refused = new Map<string, string>();
  const entering = [...byId].filter(([, t]) => t.status === 'active');
  const upserts: BatchOperation[] = entering.map(([id, t]) => ({
    method: 'PUT',
    path: `/lists/${listId}/members/${t.hash}`,
    body: JSON.stringify({ email_address: t.email, status_if_new: config.statusIfNew }),
    operation_id: `upsert-${id}`,
  }));
  if (upserts.length) {
    for (const result of await runBatch(writes, upserts, ctx)) {
      if (result.ok) continue;
      refused.set(result.operationId.slice('upsert-'.length), result.reason);
    }
  }
  const tagging: BatchOperation[] = [...byId]
    .filter(([id]) => !refused.has(id))
    .map(([id, t]) => ({ method: 'POST', path: `/lists/${listId}/members/${t.hash}/tags`, body: JSON.stringify({ tags: [{ name: tag, status: t.status }] }), operation_id: `tags-${id}` }));
  for (const result of await runBatch(writes, tagging, ctx)) {
    if (result.ok) continue;
    const id = result.operationId.slice('tags-'.length);
    if (result.status === 404 && byId.get(id)?.status === 'inactive') continue;
    refused.set(id, result.reason);
  }
  return [...refused].map(([id, reason]) => ({ profileId: byId.get(id)!.profileId, reason }));
}

interface OperationOutcome {
  operationId: string;
  ok: boolean;
  status: number;
  reason: string;
}

/** Starts a batch, polls it to `finished`, and reads each operation's outcome. */
async function runBatch(writes: MarketingWrites, operations: BatchOperation[], ctx: ConnectorContext): Promise<OperationOutcome[]> {
  let batch: MailchimpBatch = await writes.startBatch(operations);
  const deadline = Date.now() + BATCH_DEADLINE_MS;
  let delay = POLL_FIRST_MS;
  while (batch.status !== 'finished') {
    if (Date.now() > deadline) throw new ConnectorTransientError(`Mailchimp batch ${batch.id} has not finished (${batch.finished_operations} of ${batch.total_operations} operations)`);
    await abortableSleep(delay, ctx.signal);
    delay = Math.min(delay * 2, POLL_MAX_MS);
    batch = await writes.batchStatus(batch.id);
  }
  ctx.logger.info({ batch: batch.id, total: batch.total_operations, errored: batch.errored_operations }, 'Mailchimp batch finished');
  if (batch.errored_operations === 0) return operations.map((op) => ({ operationId: op.operation_id!, ok: true, status: 200, reason: '' }));
  if (!batch.response_body_url) throw new ConnectorTransientError(`Mailchimp batch ${batch.id} finished without its results`);
  const results = await writes.batchResults(batch.response_body_url);
  const outcomes: OperationOutcome[] = [];
  for (const result of results) {
    const ok = result.status_code >= 200 && result.status_code < 300;
    if (!ok && (result.status_code >= 500 || result.status_code === 429)) {
      throw new ConnectorTransientError(`Mailchimp batch ${batch.id}: an operation answered HTTP ${result.status_code}`, { status: result.status_code });
    }
    outcomes.push({ operationId: result.operation_id ?? '', ok, status: result.status_code, reason: ok ? '' : describe(result.status_code, result.response) });
  }
  return outcomes;
}

/** A refused operation's reason: its problem's title (the detail may quote the address). */
function describe(status: number, response: string): string {
  try {
    const problem = JSON.parse(response) as { title?: string };
    return `Mailchimp refused it (HTTP ${status}${typeof problem.title === 'string' ? `, ${problem.title}` : ''})`;
  } catch {
    return `Mailchimp refused it (HTTP ${status})`;
  }
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof ConnectorRequestError && error.status === status;
}
