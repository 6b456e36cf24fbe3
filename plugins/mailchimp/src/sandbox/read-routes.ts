import type { SandboxHandler, SandboxRequest } from '@portrait/testkit';
import { json } from '@portrait/testkit';
import type { MailchimpLink, MailchimpMember } from '../transport/marketing-types.js';
import type { AudienceData, SandboxMember } from './audience-data.js';
import { invalidResource, notFound, project } from './api-replies.js';

/**
 * The Marketing API's read routes the connector calls: `/ping`, an audience, its members (count /
 * offset pages, `since_last_changed` / `before_last_changed`, `status`, `sort_field` / `sort_dir`),
 * one member, and a member's activity feed. Write routes (tags, `PUT` of a member, `/batches`) live in
 * a module of their own beside this one and are added to the same server.
 */

export interface ReadRouteContext {
  data: AudienceData;
  /** `https://<dc>.api.mailchimp.com/3.0`, for `_links`. */
  apiRoot: string;
  /** The most records one page holds (Mailchimp: 1,000). */
  pageLimit: number;
}

const SORT_FIELDS = new Set(['timestamp_opt', 'timestamp_signup', 'last_changed']);
const STATUSES = new Set(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional', 'archived']);

function integer(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number | string {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) return `${name} must be an integer from ${min} to ${max}`;
  return value;
}

function time(query: URLSearchParams, name: string): number | string | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? `${name} must be a time in ISO 8601 format, e.g. 2015-10-21T15:41:36+00:00` : at;
}

function memberLinks(root: string, listId: string, id: string): MailchimpLink[] {
  const self = `${root}/lists/${listId}/members/${id}`;
  const schema = `${root.replace(/\/3\.0$/, '')}/schema/3.0/Definitions/Lists/Members`;
  return [
    { rel: 'self', href: self, method: 'GET', targetSchema: `${schema}/Response.json` },
    { rel: 'parent', href: `${root}/lists/${listId}/members`, method: 'GET', targetSchema: `${schema}/CollectionResponse.json` },
    { rel: 'update', href: self, method: 'PATCH', targetSchema: `${schema}/Response.json`, schema: `${schema}/PATCH.json` },
    { rel: 'upsert', href: self, method: 'PUT', targetSchema: `${schema}/Response.json`, schema: `${schema}/PUT.json` },
    { rel: 'delete', href: self, method: 'DELETE' },
    { rel: 'activity', href: `${self}/activity`, method: 'GET', targetSchema: `${schema}/Activity/Response.json` },
  ];
}

export function memberView(ctx: ReadRouteContext, member: SandboxMember): MailchimpMember {
  return { ...member.record, _links: memberLinks(ctx.apiRoot, member.record.list_id, member.record.id) };
}

export function readRoutes(ctx: ReadRouteContext): Record<string, SandboxHandler> {
  const { data } = ctx;
  return {
    'GET /3.0/ping': () => json({ health_status: "Everything's Chimpy!" }),

    'GET /3.0/lists/:listId': (request) => {
      const audience = data.audience(request.params.listId!);
      if (!audience) return notFound();
      const counts = (status: string) => audience.members.filter((m) => m.record.status === status).length;
      return json(
        project(
          {
            id: audience.id,
            web_id: audience.webId,
            name: audience.name,
            date_created: audience.dateCreated,
            list_rating: 3,
            email_type_option: false,
            marketing_permissions: true,
            stats: { member_count: counts('subscribed'), unsubscribe_count: counts('unsubscribed'), cleaned_count: counts('cleaned'), campaign_count: audience.campaigns.length },
            _links: [{ rel: 'self', href: `${ctx.apiRoot}/lists/${audience.id}`, method: 'GET' }],
          },
          request.query,
        ),
      );
    },

    'GET /3.0/lists/:listId/members': (request) => listMembers(ctx, request),

    'GET /3.0/lists/:listId/members/:hash': (request) => {
      const member = data.member(request.params.listId!, request.params.hash!.toLowerCase());
      return member ? json(project(memberView(ctx, member) as unknown as Record<string, unknown>, request.query)) : notFound();
    },

    'GET /3.0/lists/:listId/members/:hash/activity-feed': (request) => {
      const listId = request.params.listId!;
      const member = data.member(listId, request.params.hash!.toLowerCase());
      if (!member) return notFound();
      const count = integer(request.query, 'count', 10, 1, 1000);
      const offset = integer(request.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
      if (typeof count === 'string') return invalidResource(count);
      if (typeof offset === 'string') return invalidResource(offset);
      const filters = (request.query.get('activity_filters') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const feed = data.feed(member).filter((a) => !filters.length || filters.includes(a.activity_type));
      return json(
        project(
          {
            activity: feed.slice(offset, offset + Math.min(count, ctx.pageLimit)),
            email_id: member.record.unique_email_id,
            list_id: listId,
            total_items: feed.length,
            _links: [{ rel: 'self', href: `${ctx.apiRoot}/lists/${listId}/members/${member.record.id}/activity-feed`, method: 'GET' }],
          },
          request.query,
        ),
      );
    },
  };
}

function listMembers(ctx: ReadRouteContext, request: SandboxRequest) {
  const audience = ctx.data.audience(request.params.listId!);
  if (!audience) return notFound();
  const q = request.query;
  const count = integer(q, 'count', 10, 1, 1000);
  const offset = integer(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (typeof count === 'string') return invalidResource(count);
  if (typeof offset === 'string') return invalidResource(offset);
  const since = time(q, 'since_last_changed');
  const before = time(q, 'before_last_changed');
  for (const value of [since, before]) if (typeof value === 'string') return invalidResource(value);
  const status = q.get('status');
  if (status && !STATUSES.has(status)) return invalidResource(`status must be one of ${[...STATUSES].join(', ')}`);
  const sortField = q.get('sort_field');
  if (sortField && !SORT_FIELDS.has(sortField)) return invalidResource(`sort_field must be one of ${[...SORT_FIELDS].join(', ')}`);
  const sortDir = q.get('sort_dir') ?? 'DESC';
  if (sortDir !== 'ASC' && sortDir !== 'DESC') return invalidResource('sort_dir must be ASC or DESC');

  let members = audience.members.filter((m) => {
    const changed = Date.parse(m.record.last_changed);
    if (typeof since === 'number' && !(changed > since)) return false;
    if (typeof before === 'number' && !(changed < before)) return false;
    if (status && m.record.status !== status) return false;
    return true;
  });
  if (sortField) {
    const key = (m: SandboxMember) => String((m.record as unknown as Record<string, unknown>)[sortField] ?? '');
    members = [...members].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.record.web_id! - b.record.web_id!) * (sortDir === 'ASC' ? 1 : -1));
  }
  const page = members.slice(offset, offset + Math.min(count, ctx.pageLimit)).map((m) => memberView(ctx, m));
  return json(
    project(
      {
        members: request.corrupt(page),
        list_id: audience.id,
        total_items: members.length,
        _links: [{ rel: 'self', href: `${ctx.apiRoot}/lists/${audience.id}/members`, method: 'GET' }],
      },
      q,
    ),
  );
}
