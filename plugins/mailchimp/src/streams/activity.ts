import { InvalidRecordError, type ConnectorContext, type ProfileFact, type ReadMessage, type ReadRequest } from '@portrait/connector-sdk';
import type { MailchimpConfig } from '../mailchimp.config.js';
import { ACTIVITY_FILTERS, activityFact } from '../mappers/activity.mapper.js';
import { createMarketingClient, type MarketingClient } from '../transport/marketing-client.js';
import type { MailchimpActivity, MailchimpMember } from '../transport/marketing-types.js';
import { readMemberPages, type MemberPage } from './member-pages.js';

/**
 * The `activity` stream: for each member read (all on a full sync, those whose `last_changed` moved
 * on an incremental one), its activity feed — sends, opens, clicks, bounces, unsubscriptions — as
 * events. The feeds of a page are read side by side, as many at once as the connection limit allows,
 * and those of the next page while this one is stored.
 */

const FEED_PAGE = 1000;
const ACTIVITY_MEMBER_FIELDS = ['members.id', 'members.email_address', 'members.last_changed', 'members.list_id'];

export function readActivity(request: ReadRequest, config: MailchimpConfig, ctx: ConnectorContext): AsyncIterable<ReadMessage> {
  const client = createMarketingClient(config, ctx);
  return readMemberPages(request, config.audienceIds, client, ctx, ACTIVITY_MEMBER_FIELDS, (page) => feedsOf(page, client, config.source));
}

async function feedsOf(page: MemberPage, client: MarketingClient, source: string): Promise<ReadMessage[]> {
  const outcomes = await Promise.all(
    page.members.map(async (member, i): Promise<ProfileFact | ReadMessage | undefined> => {
      const location = `${page.location}, record ${i + 1}`;
      if (typeof member?.id !== 'string' || typeof member?.list_id !== 'string') {
        return { type: 'invalid', reason: 'the member has no id or no list_id', payload: member, location };
      }
      const items = await feedOf(client, member);
      if (items.length === 0) return undefined;
      try {
        return activityFact(member, items, source, location);
      } catch (error) {
        if (!(error instanceof InvalidRecordError)) throw error;
        return { type: 'invalid', reason: error.reason, payload: error.payload, location: error.location };
      }
    }),
  );
  const facts = outcomes.filter((o): o is ProfileFact => o !== undefined && 'source' in o);
  const invalid = outcomes.filter((o): o is ReadMessage => o !== undefined && !('source' in o));
  return facts.length ? [{ type: 'facts', facts }, ...invalid] : invalid;
}

async function feedOf(client: MarketingClient, member: MailchimpMember): Promise<MailchimpActivity[]> {
  const items: MailchimpActivity[] = [];
  for (let offset = 0; ; offset += FEED_PAGE) {
    const feed = await client.activityFeed(member.list_id, member.id, { count: FEED_PAGE, offset, activity_filters: ACTIVITY_FILTERS });
    const page = Array.isArray(feed?.activity) ? feed.activity : [];
    items.push(...page);
    if (page.length < FEED_PAGE || offset + page.length >= (feed.total_items ?? 0)) return items;
  }
}
