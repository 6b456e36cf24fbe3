import type { SandboxHandler, SandboxReply } from '@portrait/testkit';
import { json } from '@portrait/testkit';
import type { MailchimpMember, MemberStatus } from '../transport/marketing-types.js';
import { writeTarGz } from '../transport/batch-results.js';
import { md5, type AudienceData, type SandboxMember } from './audience-data.js';
import { invalidResource, notFound, problem } from './api-replies.js';
import { memberView, type ReadRouteContext } from './read-routes.js';

/**
 * The Marketing API's write routes a destination calls: a member's tags (`POST …/tags`, 204), the
 * upsert of a member (`PUT …/members/{hash}` with `status_if_new`), and batch operations
 * (`POST /batches`, `GET /batches/{id}`). A batch moves from `pending` to `started` (its operations
 * run, each through the same routes) to `finished` one status request at a time, and its results are
 * a gzipped tar archive at `response_body_url`, as Mailchimp stores them. Tags are kept on the
 * members, so tests read who holds a tag (`holders`), not what was called.
 */

const STATUSES_IF_NEW = new Set<MemberStatus>(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Addresses Mailchimp refuses as fake: here, those under the reserved top-level domains (RFC 2606). */
const FAKE = /\.(invalid|test|example|localhost)$/i;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** Mailchimp takes at most this many operations in one batch request. */
const MAX_BATCH_OPERATIONS = 500_000;

interface SandboxBatch {
  id: string;
  status: 'pending' | 'started' | 'finished';
  operations: { method: string; path: string; body?: string; operation_id?: string }[];
  results: { status_code: number; operation_id: string | null; response: string }[];
  submittedAt: string;
  completedAt: string;
}

export interface WriteRouteContext extends ReadRouteContext {
  /** The sandbox's own origin, for the URL of batch results. */
  origin: () => string;
}

/** Who holds the tag in the audience (addresses as the members' records keep them). */
export function tagHolders(data: AudienceData, listId: string, tag: string): string[] {
  return (data.audience(listId)?.members ?? [])
    .filter((m) => m.record.tags?.some((t) => t.name === tag))
    .map((m) => m.record.email_address)
    .sort();
}

/** Mailchimp's 400 for a body that does not validate, with its `errors` array of fields. */
function invalid(detail: string, errors: { field: string; message: string }[]): SandboxReply {
  const reply = invalidResource(detail);
  return { ...reply, body: { ...(reply.body as Record<string, unknown>), errors } };
}

export function writeRoutes(ctx: WriteRouteContext): Record<string, SandboxHandler> {
  const { data } = ctx;
  const batches = new Map<string, SandboxBatch>();
  let tagSeq = 2_910_001;
  const tagIds = new Map<string, number>();
  const tagId = (name: string) => {
    for (const m of data.allMembers()) {
      const found = m.record.tags?.find((t) => t.name === name);
      if (found) return found.id;
    }
    if (!tagIds.has(name)) tagIds.set(name, tagSeq++);
    return tagIds.get(name)!;
  };

  function updateTags(listId: string, hash: string, body: unknown): SandboxReply {
    if (!data.audience(listId)) return notFound();
    const member = data.member(listId, hash.toLowerCase());
    if (!member) return notFound();
    const tags = (body as { tags?: unknown } | undefined)?.tags;
    if (!Array.isArray(tags)) return invalid('The resource submitted could not be validated. For field-specific details, see the \'errors\' array.', [{ field: 'tags', message: 'Schema describes array, NULL found instead' }]);
    let current = [...(member.record.tags ?? [])];
    for (const [i, tag] of tags.entries()) {
      const { name, status } = (tag ?? {}) as { name?: unknown; status?: unknown };
      if (typeof name !== 'string' || !name.trim() || name.length > 100) return invalid('The resource submitted could not be validated.', [{ field: `tags.item:${i}.name`, message: 'Tag names must be 1 to 100 characters' }]);
      if (status !== 'active' && status !== 'inactive') return invalid('The resource submitted could not be validated.', [{ field: `tags.item:${i}.status`, message: 'Data did not match any of the schemas described in anyOf' }]);
      if (status === 'active' && !current.some((t) => t.name === name)) current = [...current, { id: tagId(name), name }];
      if (status === 'inactive') current = current.filter((t) => t.name !== name);
    }
    data.replace(listId, { ...member, record: { ...member.record, tags: current, tags_count: current.length } });
    return { status: 204 };
  }

  function upsertMember(listId: string, hash: string, body: unknown): SandboxReply {
    const audience = data.audience(listId);
    if (!audience) return notFound();
    const given = (body ?? {}) as { email_address?: unknown; status_if_new?: unknown; status?: unknown; merge_fields?: unknown };
    if (typeof given.email_address !== 'string') return invalid('The resource submitted could not be validated.', [{ field: 'email_address', message: 'This value should not be blank.' }]);
    if (!EMAIL.test(given.email_address) || FAKE.test(given.email_address)) return invalidResource(`${given.email_address} looks fake or invalid, please enter a real email address.`);
    if (md5(given.email_address.toLowerCase()) !== hash.toLowerCase()) return invalidResource("The email address does not match the subscriber hash in the request URL.");
    const existing = data.member(listId, hash.toLowerCase());
    if (!existing) {
      if (typeof given.status_if_new !== 'string' || !STATUSES_IF_NEW.has(given.status_if_new as MemberStatus)) {
        return invalid('The resource submitted could not be validated.', [{ field: 'status_if_new', message: 'Data did not match any of the schemas described in anyOf' }]);
      }
      const at = data.clock.tick();
      const record: MailchimpMember = {
        id: hash.toLowerCase(),
        email_address: given.email_address,
        unique_email_id: md5(`unique:${hash}`).slice(0, 10),
        contact_id: md5(`contact:${hash}`),
        full_name: '',
        email_type: 'html',
        status: given.status_if_new as MemberStatus,
        merge_fields: typeof given.merge_fields === 'object' && given.merge_fields ? (given.merge_fields as Record<string, unknown>) : {},
        interests: {},
        stats: { avg_open_rate: 0, avg_click_rate: 0 },
        ip_signup: '',
        timestamp_signup: '',
        ip_opt: '',
        timestamp_opt: given.status_if_new === 'subscribed' ? at : '',
        member_rating: 2,
        last_changed: at,
        language: '',
        vip: false,
        source: 'API - Generic',
        tags_count: 0,
        tags: [],
        list_id: listId,
      } as MailchimpMember;
      const member: SandboxMember = { personId: `api:${hash.toLowerCase()}`, record, activity: [] };
      data.replace(listId, member);
      return json(memberView(ctx, member));
    }
    const status = typeof given.status === 'string' && STATUSES_IF_NEW.has(given.status as MemberStatus) ? (given.status as MemberStatus) : existing.record.status;
    const member: SandboxMember = { ...existing, record: { ...existing.record, email_address: given.email_address, status, last_changed: status === existing.record.status ? existing.record.last_changed : data.clock.tick() } };
    data.replace(listId, member);
    return json(memberView(ctx, member));
  }

  /** Runs one operation of a batch through the routes above. */
  function runOperation(op: SandboxBatch['operations'][number]): SandboxReply {
    let body: unknown;
    try {
      body = op.body ? JSON.parse(op.body) : undefined;
    } catch {
      return invalidResource('We encountered an unspecified JSON parsing error.');
    }
    const path = op.path.replace(/^\/?(3\.0\/)?/, '/');
    const tags = /^\/lists\/([^/]+)\/members\/([^/]+)\/tags\/?$/.exec(path);
    if (op.method === 'POST' && tags) return updateTags(tags[1]!, tags[2]!, body);
    const member = /^\/lists\/([^/]+)\/members\/([^/]+)\/?$/.exec(path);
    if (op.method === 'PUT' && member) return upsertMember(member[1]!, member[2]!, body);
    return notFound();
  }

  const view = (batch: SandboxBatch) => ({
    id: batch.id,
    status: batch.status,
    total_operations: batch.operations.length,
    finished_operations: batch.status === 'pending' ? 0 : batch.results.length,
    errored_operations: batch.status === 'pending' ? 0 : batch.results.filter((r) => r.status_code >= 400).length,
    submitted_at: batch.submittedAt,
    completed_at: batch.completedAt,
    response_body_url: batch.status === 'finished' ? `${ctx.origin()}/batch-results/${batch.id}.tar.gz` : '',
    _links: [{ rel: 'self', href: `${ctx.apiRoot}/batches/${batch.id}`, method: 'GET' }],
  });

  return {
    'POST /3.0/lists/:listId/members/:hash/tags': (request) => updateTags(request.params.listId!, request.params.hash!, request.body),

    'PUT /3.0/lists/:listId/members/:hash': (request) => upsertMember(request.params.listId!, request.params.hash!, request.body),

    'POST /3.0/batches': (request) => {
      const operations = (request.body as { operations?: unknown } | undefined)?.operations;
      if (!Array.isArray(operations)) return invalid('The resource submitted could not be validated.', [{ field: 'operations', message: 'Schema describes array, NULL found instead' }]);
      if (operations.length > MAX_BATCH_OPERATIONS) return invalidResource(`A batch may hold at most ${MAX_BATCH_OPERATIONS} operations.`);
      for (const [i, op] of operations.entries()) {
        const { method, path, body } = (op ?? {}) as Record<string, unknown>;
        if (typeof method !== 'string' || !METHODS.has(method)) return invalid('The resource submitted could not be validated.', [{ field: `operations.item:${i}.method`, message: 'Value is not one of the enum values' }]);
        if (typeof path !== 'string' || !path) return invalid('The resource submitted could not be validated.', [{ field: `operations.item:${i}.path`, message: 'This value should not be blank.' }]);
        if (body !== undefined && typeof body !== 'string') return invalid('The resource submitted could not be validated.', [{ field: `operations.item:${i}.body`, message: 'Schema describes string, object found instead' }]);
      }
      const batch: SandboxBatch = {
        id: md5(`batch:${batches.size}:${data.clock.now()}`).slice(0, 10),
        status: 'pending',
        operations: operations as SandboxBatch['operations'],
        results: [],
        submittedAt: data.clock.now(),
        completedAt: '',
      };
      batches.set(batch.id, batch);
      return json(view(batch));
    },

    'GET /3.0/batches/:id': (request) => {
      const batch = batches.get(request.params.id!);
      if (!batch) return notFound();
      // One step per status request: pending → started (the operations run) → finished.
      if (batch.status === 'pending') {
        batch.status = 'started';
        batch.results = batch.operations.map((op) => {
          const reply = runOperation(op);
          const status = reply.status ?? 200;
          return { status_code: status, operation_id: op.operation_id ?? null, response: reply.body === undefined ? '' : JSON.stringify(reply.body) };
        });
      } else if (batch.status === 'started') {
        batch.status = 'finished';
        batch.completedAt = data.clock.now();
      }
      return json(view(batch));
    },

    // The results archive, as Mailchimp serves it from storage (no credentials).
    'GET /batch-results/:file': (request) => {
      const batch = batches.get(request.params.file!.replace(/\.tar\.gz$/, ''));
      if (!batch || batch.status !== 'finished') return problem(404, 'Resource Not Found', 'The requested resource could not be found.');
      const archive = writeTarGz([{ name: `${batch.id}/${md5(batch.id)}.json`, data: Buffer.from(JSON.stringify(batch.results)) }]);
      return { status: 200, headers: { 'content-type': 'application/x-gzip' }, body: archive };
    },
  };
}
