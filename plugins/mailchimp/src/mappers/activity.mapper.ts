import { createHash } from 'node:crypto';
import { InvalidRecordError, validateFact, type FactEvent, type ProfileFact } from '@portrait/connector-sdk';
import type { MailchimpActivity, MailchimpMember } from '../transport/marketing-types.js';
import { mailchimpTime } from './member.mapper.js';

/** Activity types of the feed the connector reads, and the events they become. */
export const ACTIVITY_EVENTS: Record<string, string> = {
  sent: 'email_sent',
  open: 'email_opened',
  click: 'email_clicked',
  bounce: 'email_bounced',
  unsub: 'email_unsubscribed',
};
export const ACTIVITY_FILTERS = Object.keys(ACTIVITY_EVENTS);

/**
 * The feed has no ids: an item is known by its member, type, time, campaign and link. Hashed, so the
 * key says nothing of the person.
 */
export function activityDedupeKey(listId: string, memberId: string, item: MailchimpActivity): string {
  const parts = [listId, memberId, item.activity_type, mailchimpTime(item.created_at_timestamp) ?? '', item.campaign_id ?? '', item.link_clicked ?? ''];
  return `mailchimp:activity:${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}

function eventOf(listId: string, memberId: string, item: MailchimpActivity): FactEvent | undefined {
  const type = ACTIVITY_EVENTS[item?.activity_type];
  const occurredAt = mailchimpTime(item?.created_at_timestamp);
  if (!type || !occurredAt) return undefined;
  const properties: Record<string, unknown> = { list_id: listId };
  if (item.campaign_id) properties.campaign_id = item.campaign_id;
  if (item.campaign_title) properties.campaign_title = item.campaign_title;
  if (type === 'email_clicked' && item.link_clicked) properties.url = item.link_clicked;
  if (type === 'email_bounced' && item.bounce_type) properties.bounce_type = item.bounce_type;
  if (type === 'email_unsubscribed' && item.unsubscribe_reason) properties.reason = item.unsubscribe_reason;
  return { type, occurredAt, properties: properties as FactEvent['properties'], dedupeKey: activityDedupeKey(listId, memberId, item) };
}

/** A member's activity feed → one fact of its e-mail events (sent, opened, clicked with the link, bounced, unsubscribed). */
export function activityFact(member: MailchimpMember, items: readonly MailchimpActivity[], source: string, location: string): ProfileFact {
  const id = typeof member?.id === 'string' ? member.id : undefined;
  const email = typeof member?.email_address === 'string' ? member.email_address.trim() : '';
  if (!id || !email) throw new InvalidRecordError('the member has no id or no email_address', member, location);
  const listId = member.list_id;
  const events = items.map((item) => eventOf(listId, id, item)).filter((e): e is FactEvent => e !== undefined);
  const observedAt = mailchimpTime(member.last_changed) ?? events.map((e) => e.occurredAt).sort().at(-1) ?? new Date().toISOString();
  const validation = validateFact({
    source,
    externalId: `${listId}:${id}:activity`,
    identities: [
      { type: 'mailchimp_member_id', value: id },
      { type: 'email', value: email },
    ],
    events,
    observedAt,
  });
  if (!validation.ok) throw new InvalidRecordError(`member ${id}: ${validation.reason}`, member, location);
  return validation.fact;
}
