import { createHash } from 'node:crypto';
import { InvalidRecordError, namespaced, validateFact, type Consent, type Identity, type ProfileFact } from '@portrait/connector-sdk';
import type { MailchimpAddress, MailchimpMember } from '../transport/marketing-types.js';

/** The member fields the connector reads (`fields=` of the members call: the rest, `_links` above all, is left out). */
export const MEMBER_FIELDS = [
  'id',
  'email_address',
  'status',
  'merge_fields',
  'stats',
  'timestamp_signup',
  'timestamp_opt',
  'member_rating',
  'last_changed',
  'language',
  'vip',
  'location',
  'marketing_permissions',
  'tags',
  'list_id',
].map((field) => `members.${field}`);

/** Mailchimp's id of a member: the MD5 hash of the lower-cased e-mail address (the `subscriber_hash` of its URLs). */
export function subscriberHash(email: string): string {
  return createHash('md5').update(email.trim().toLowerCase()).digest('hex');
}

/** A member's fact id: the same e-mail in two audiences is two members. */
export function memberExternalId(listId: string, memberId: string): string {
  return `${listId}:${memberId}`;
}

/** Mailchimp writes times as `2020-11-10T19:50:53+00:00` and "" when there is none. */
export function mailchimpTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

/** GDPR marketing permissions by their text in Mailchimp's forms → Portrait's consent purposes. */
const PERMISSION_PURPOSES: Record<string, string> = {
  email: 'email_marketing',
  'direct mail': 'direct_mail',
  'customized online advertising': 'personalized_advertising',
};

function purposeOf(text: string): string {
  const known = PERMISSION_PURPOSES[text.trim().toLowerCase()];
  if (known) return known;
  const slug = text.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 50);
  return /^[a-z]/.test(slug) ? `mailchimp_${slug}` : `mailchimp_permission_${slug || 'unnamed'}`;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() ? value.trim() : undefined);

/**
 * One member of one audience → one fact: e-mail and `mailchimp_member_id` (and the PHONE merge field)
 * as identities; names, address, birthday, language, location and Mailchimp's own figures as traits;
 * `email_marketing` consent from the member's status and the GDPR marketing permissions, with their time.
 */
export function memberFact(member: MailchimpMember, source: string, location: string): ProfileFact {
  const id = typeof member?.id === 'string' ? member.id : undefined;
  if (!id) throw new InvalidRecordError('the member has no id', member, location);
  const email = text(member.email_address);
  if (!email) throw new InvalidRecordError(`member ${id}: it has no email_address`, member, location);
  const listId = text(member.list_id);
  if (!listId) throw new InvalidRecordError(`member ${id}: it has no list_id`, member, location);
  const lastChanged = mailchimpTime(member.last_changed);
  if (!lastChanged) throw new InvalidRecordError(`member ${id}: last_changed is missing or not a time`, member, location);
  if (typeof member.status !== 'string') throw new InvalidRecordError(`member ${id}: status is missing`, member, location);

  const merge = member.merge_fields ?? {};
  const phone = text(merge.PHONE);
  const identities: Identity[] = [
    { type: 'mailchimp_member_id', value: id },
    { type: 'email', value: email },
  ];
  if (phone) identities.push({ type: 'phone', value: phone });

  const traits: Record<string, unknown> = {
    email,
    first_name: text(merge.FNAME),
    last_name: text(merge.LNAME),
    phone,
    language: text(member.language),
    timezone: text(member.location?.timezone),
    country: text(member.location?.country_code)?.toUpperCase(),
    created_at: mailchimpTime(member.timestamp_signup) ?? mailchimpTime(member.timestamp_opt),
    [namespaced('mailchimp', 'status')]: member.status,
    [namespaced('mailchimp', 'member_rating')]: typeof member.member_rating === 'number' ? member.member_rating : undefined,
    [namespaced('mailchimp', 'avg_open_rate')]: rate(member.stats?.avg_open_rate),
    [namespaced('mailchimp', 'avg_click_rate')]: rate(member.stats?.avg_click_rate),
    [namespaced('mailchimp', 'vip')]: typeof member.vip === 'boolean' ? member.vip : undefined,
    [namespaced('mailchimp', 'tags')]: Array.isArray(member.tags) ? member.tags.map((t) => t?.name).filter((n): n is string => typeof n === 'string').sort() : [],
    [namespaced('mailchimp', 'last_changed')]: lastChanged,
  };
  const revenue = member.stats?.ecommerce_data?.total_revenue;
  if (typeof revenue === 'number' && Number.isFinite(revenue)) traits[namespaced('mailchimp', 'ecommerce_revenue')] = Math.round(revenue * 100) / 100;
  Object.assign(traits, addressTraits(merge.ADDRESS));
  Object.assign(traits, birthdayTraits(merge.BIRTHDAY));

  const consent: Consent[] = [];
  const optedAt = mailchimpTime(member.timestamp_opt);
  if (member.status === 'subscribed' && optedAt) consent.push({ purpose: 'email_marketing', granted: true, at: optedAt });
  // Mailchimp keeps no time of an unsubscription on the member: its last change is the closest.
  if (member.status === 'unsubscribed') consent.push({ purpose: 'email_marketing', granted: false, at: lastChanged });
  for (const permission of member.marketing_permissions ?? []) {
    if (!permission || typeof permission.text !== 'string' || typeof permission.enabled !== 'boolean') continue;
    const purpose = purposeOf(permission.text);
    // The e-mail permission refines the status: a subscribed member who unticked "Email" has not consented.
    const existing = consent.findIndex((c) => c.purpose === purpose);
    if (existing >= 0) {
      if (!permission.enabled) consent[existing] = { purpose, granted: false, at: lastChanged };
      continue;
    }
    consent.push({ purpose, granted: permission.enabled, at: permission.enabled ? (optedAt ?? lastChanged) : lastChanged });
  }

  // Absent values are left out rather than sent as null, so they never mask another source's value.
  for (const key of Object.keys(traits)) if (traits[key] === undefined || traits[key] === null) delete traits[key];
  const validation = validateFact({ source, externalId: memberExternalId(listId, id), identities, traits, consent, observedAt: lastChanged });
  if (!validation.ok) throw new InvalidRecordError(`member ${id}: ${validation.reason}`, member, location);
  return validation.fact;
}

/** Mailchimp's rates are shares in [0, 1]; kept to 4 decimals. */
function rate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 10_000) / 10_000 : undefined;
}

/** The ADDRESS merge field: an object (addr1, city, state, zip, country), or "" when the member left it empty. */
function addressTraits(value: unknown): Record<string, unknown> {
  if (!value || typeof value !== 'object') return {};
  const address = value as MailchimpAddress;
  const traits: Record<string, unknown> = { city: text(address.city), region: text(address.state), postal_code: text(address.zip) };
  const country = text(address.country);
  // A two-letter country is a code; anything longer is a name, kept as Mailchimp has it.
  if (country) traits[/^[a-z]{2}$/i.test(country) ? 'country' : namespaced('mailchimp', 'address_country')] = /^[a-z]{2}$/i.test(country) ? country.toUpperCase() : country;
  return traits;
}

/**
 * The BIRTHDAY merge field is a day of the year ("MM/DD", no year): kept as `mailchimp.birthday`. A
 * date merge field with a year ("YYYY-MM-DD") is the common `birthday`.
 */
function birthdayTraits(value: unknown): Record<string, unknown> {
  const birthday = text(value);
  if (!birthday) return {};
  if (/^\d{4}-\d{2}-\d{2}$/.test(birthday)) return { birthday };
  if (/^\d{2}\/\d{2}$/.test(birthday)) return { [namespaced('mailchimp', 'birthday')]: birthday };
  return {};
}
