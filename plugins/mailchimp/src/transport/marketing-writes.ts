import { abortReason, ConnectorTransientError, withRetry, type ConnectorContext } from '@portrait/connector-sdk';
import type { MailchimpConfig } from '../mailchimp.config.js';
import { classifyMailchimpError, createMailchimpCaller, RETRY } from './marketing-client.js';
import { readBatchResults, type BatchOperationResult } from './batch-results.js';

/**
 * The Marketing API's write calls a destination makes, through the same SDK client, the same
 * account-wide limiter of 10 connections and the same retries as the reads: a member's tags, the
 * upsert of a member, and batch operations (start, status, and the archive of their results).
 */

export type MemberTagStatus = 'active' | 'inactive';

export interface BatchOperation {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET';
  path: string;
  /** The operation's JSON body, as a string (as Mailchimp takes it). */
  body?: string;
  operation_id?: string;
}

export interface MailchimpBatch {
  id: string;
  status: 'pending' | 'preprocessing' | 'started' | 'finalizing' | 'finished';
  total_operations: number;
  finished_operations: number;
  errored_operations: number;
  submitted_at?: string;
  completed_at?: string;
  response_body_url?: string;
}

export interface MarketingWrites {
  updateTags(listId: string, hash: string, tags: { name: string; status: MemberTagStatus }[]): Promise<void>;
  upsertMember(listId: string, hash: string, member: { email_address: string; status_if_new: string }): Promise<void>;
  startBatch(operations: BatchOperation[]): Promise<MailchimpBatch>;
  batchStatus(batchId: string): Promise<MailchimpBatch>;
  batchResults(url: string): Promise<BatchOperationResult[]>;
}

/** The parts of the SDK's client these calls use (typed here, beside the reads' declarations). */
interface WriteSdk {
  lists: {
    updateListMemberTags(listId: string, hash: string, body: unknown): Promise<unknown>;
    setListMember(listId: string, hash: string, body: unknown, opts?: Record<string, unknown>): Promise<unknown>;
  };
  batches: {
    start(body: unknown): Promise<unknown>;
    status(batchId: string, opts?: Record<string, unknown>): Promise<unknown>;
  };
}

export function createMarketingWrites(config: MailchimpConfig, ctx: ConnectorContext): MarketingWrites {
  // The reads' caller: the same limiter (the account's 10 connections are shared by both) and retries.
  const { sdk: client, call } = createMailchimpCaller(config, ctx);
  const sdk = client as unknown as WriteSdk;

  return {
    updateTags: async (listId, hash, tags) => {
      await call(`POST /lists/${listId}/members/{hash}/tags`, () => sdk.lists.updateListMemberTags(listId, hash, { tags }));
    },
    upsertMember: async (listId, hash, member) => {
      await call(`PUT /lists/${listId}/members/{hash}`, () => sdk.lists.setListMember(listId, hash, member));
    },
    startBatch: (operations) => call('POST /batches', () => sdk.batches.start({ operations })),
    batchStatus: (batchId) => call(`GET /batches/${batchId}`, () => sdk.batches.status(batchId)),
    // The archive is served from a storage URL (no credentials), not from the API.
    batchResults: (url) =>
      withRetry(
        async () => {
          let response: Response;
          try {
            response = await fetch(url, { signal: ctx.signal });
          } catch (error) {
            if (ctx.signal.aborted) throw abortReason(ctx.signal);
            throw new ConnectorTransientError(`Cannot fetch the results of a Mailchimp batch: ${(error as Error).message}`);
          }
          if (!response.ok) throw new ConnectorTransientError(`The results of a Mailchimp batch answered HTTP ${response.status}`, { status: response.status });
          return readBatchResults(Buffer.from(await response.arrayBuffer()));
        },
        RETRY,
        { signal: ctx.signal, operation: 'GET Mailchimp batch results', classify: classifyMailchimpError },
      ),
  };
}
