import { timingSafeEqual } from 'node:crypto';
import {
  InvalidRecordError,
  isConnectorError,
  namespaced,
  validateFact,
  WebhookSignatureError,
  type ConnectorContext,
  type FactEvent,
  type Identity,
  type ProfileFact,
  type WebhookRequest,
  type WebhookResult,
} from '@portrait/connector-sdk';
import type { MailchimpConfig } from './mailchimp.config.js';
import { activityDedupeKey } from './mappers/activity.mapper.js';
import { MEMBER_FIELDS, memberExternalId, memberFact, subscriberHash } from './mappers/member.mapper.js';
import { createMarketingClient } from './transport/marketing-client.js';

/**
 * Mailchimp's audience webhooks. Mailchimp signs nothing: it POSTs a form (`type`, `fired_at`,
 * `data[...]`) to the URL the admin registered, so that URL carries the source's secret
 * (`?secret=…`), compared in constant time. Its validator first GETs the URL and expects a 200.
 * A member's webhook then reads that member through the Marketing API and maps it exactly as the
 * `members` stream does, so a webhook and the next sync agree; an unsubscription also becomes its
 * `email_unsubscribed` event, keyed as the activity feed's item so that the two never double.
 */

export const WEBHOOK_TYPES = ['subscribe', 'unsubscribe', 'profile', 'upemail', 'cleaned', 'campaign'] as const;

/** Deliveries are answered with the ingest's receipt (a 200); the validator's GET with an empty 200. */
const OK = { status: 200 };

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `2009-03-26 21:35:57` (UTC, as Mailchimp writes `fired_at`) → ISO-8601. */
function firedAtOf(value: string | null): string | undefined {
  if (!value) return undefined;
  const at = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? value.replace(' ', 'T') : `${value.replace(' ', 'T')}Z`);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

export async function parseMailchimpWebhook(request: WebhookRequest, config: MailchimpConfig, ctx: ConnectorContext): Promise<WebhookResult> {
  if (!config.webhookSecret) throw new WebhookSignatureError('the source has no webhook secret: set one, and give Mailchimp the webhook URL ending in ?secret=<it>');
  if (!sameSecret(request.query?.secret ?? '', config.webhookSecret)) throw new WebhookSignatureError("the webhook URL does not carry the source's secret");

  const form = new URLSearchParams(request.rawBody.toString('utf8'));
  const type = form.get('type');
  // Mailchimp's validator checks the URL with a GET (no body) before it saves the webhook.
  if (!type) return { facts: [], response: OK };
  if (!(WEBHOOK_TYPES as readonly string[]).includes(type)) throw new InvalidRecordError(`the Mailchimp webhook type "${type}" is not one of ${WEBHOOK_TYPES.join(', ')}`);
  const data = (key: string) => form.get(`data[${key}]`)?.trim() || undefined;
  const listId = data('list_id');
  if (!listId) throw new InvalidRecordError(`the ${type} webhook names no audience (data[list_id])`);
  if (!config.audienceIds.includes(listId)) throw new InvalidRecordError(`the ${type} webhook is for audience ${listId}, which the source does not sync`);
  const firedAt = firedAtOf(form.get('fired_at'));
  if (!firedAt) throw new InvalidRecordError(`the ${type} webhook has no fired_at time`);
  const location = `webhook ${type} ${listId} ${firedAt}`;
  ctx.logger.debug({ type, listId }, 'Mailchimp webhook received');

  switch (type) {
    case 'campaign':
      // A campaign was sent or cancelled: its activity reaches the members' feeds, read by the activity stream.
      return { facts: [] };
    case 'upemail': {
      const newEmail = data('new_email');
      const oldEmail = data('old_email');
      if (!newEmail) throw new InvalidRecordError('the upemail webhook has no new_email', undefined, location);
      const fact = await memberNow(config, ctx, listId, newEmail, type, firedAt, form, location);
      // The old address and member id are the same person's: the profile keeps them and merges what they held.
      const previous: Identity[] = oldEmail ? [{ type: 'email', value: oldEmail }, { type: 'mailchimp_member_id', value: subscriberHash(oldEmail) }] : [];
      return { facts: [withExtra(fact, previous, [], location)] };
    }
    default: {
      const email = data('email');
      if (!email) throw new InvalidRecordError(`the ${type} webhook has no data[email]`, undefined, location);
      const fact = await memberNow(config, ctx, listId, email, type, firedAt, form, location);
      if (type !== 'unsubscribe') return { facts: [fact] };
      const id = subscriberHash(email);
      const campaignId = data('campaign_id');
      const event: FactEvent = {
        type: 'email_unsubscribed',
        occurredAt: firedAt,
        properties: { list_id: listId, ...(campaignId ? { campaign_id: campaignId } : {}), ...(data('reason') ? { reason: data('reason')! } : {}) },
        dedupeKey: activityDedupeKey(listId, id, { activity_type: 'unsub', created_at_timestamp: firedAt, campaign_id: campaignId }),
      };
      return { facts: [withExtra(fact, [], [event], location)] };
    }
  }
}

/**
 * The member as Mailchimp holds it now (read through the API); when it is gone (archived, deleted),
 * what the webhook itself says of it.
 */
async function memberNow(config: MailchimpConfig, ctx: ConnectorContext, listId: string, email: string, type: string, firedAt: string, form: URLSearchParams, location: string): Promise<ProfileFact> {
  const hash = subscriberHash(email);
  try {
    const member = await createMarketingClient(config, ctx).member(listId, hash, { fields: MEMBER_FIELDS.map((f) => f.replace(/^members\./, '')) });
    return memberFact(member, config.source, location);
  } catch (error) {
    if (!(isConnectorError(error) && (error as { status?: number }).status === 404)) throw error;
  }
  const merge = (tag: string) => form.get(`data[merges][${tag}]`)?.trim() || undefined;
  const status = type === 'unsubscribe' ? 'unsubscribed' : type === 'cleaned' ? 'cleaned' : type === 'subscribe' ? 'subscribed' : undefined;
  const traits: Record<string, unknown> = { email, first_name: merge('FNAME'), last_name: merge('LNAME'), phone: merge('PHONE') };
  if (status) traits[namespaced('mailchimp', 'status')] = status;
  for (const key of Object.keys(traits)) if (traits[key] === undefined) delete traits[key];
  const phone = merge('PHONE');
  const validation = validateFact({
    source: config.source,
    externalId: memberExternalId(listId, hash),
    identities: [{ type: 'mailchimp_member_id', value: hash }, { type: 'email', value: email }, ...(phone ? [{ type: 'phone', value: phone }] : [])],
    traits,
    consent: type === 'subscribe' ? [{ purpose: 'email_marketing', granted: true, at: firedAt }] : type === 'unsubscribe' ? [{ purpose: 'email_marketing', granted: false, at: firedAt }] : [],
    observedAt: firedAt,
  });
  if (!validation.ok) throw new InvalidRecordError(validation.reason, undefined, location);
  return validation.fact;
}

function withExtra(fact: ProfileFact, identities: Identity[], events: FactEvent[], location: string): ProfileFact {
  const validation = validateFact({ ...fact, identities: [...fact.identities, ...identities], events: [...fact.events, ...events] });
  if (!validation.ok) throw new InvalidRecordError(validation.reason, undefined, location);
  return validation.fact;
}
