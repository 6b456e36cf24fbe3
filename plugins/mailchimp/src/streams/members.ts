import { InvalidRecordError, type ConnectorContext, type ProfileFact, type ReadMessage, type ReadRequest } from '@portrait/connector-sdk';
import type { MailchimpConfig } from '../mailchimp.config.js';
import { MEMBER_FIELDS, memberFact } from '../mappers/member.mapper.js';
import { createMarketingClient } from '../transport/marketing-client.js';
import { readMemberPages, type MemberPage } from './member-pages.js';

/** The `members` stream: every member of the configured audiences, then those whose `last_changed` moved. */
export function readMembers(request: ReadRequest, config: MailchimpConfig, ctx: ConnectorContext): AsyncIterable<ReadMessage> {
  return readMemberPages(request, config.audienceIds, createMarketingClient(config, ctx), ctx, MEMBER_FIELDS, (page) => mapPage(page, config.source));
}

async function mapPage(page: MemberPage, source: string): Promise<ReadMessage[]> {
  const facts: ProfileFact[] = [];
  const invalid: ReadMessage[] = [];
  for (const [i, member] of page.members.entries()) {
    try {
      facts.push(memberFact(member, source, `${page.location}, record ${i + 1}`));
    } catch (error) {
      if (!(error instanceof InvalidRecordError)) throw error;
      invalid.push({ type: 'invalid', reason: error.reason, payload: error.payload, location: error.location });
    }
  }
  return facts.length ? [...invalid, { type: 'facts', facts }] : invalid;
}
