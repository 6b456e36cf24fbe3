import { createHash } from 'node:crypto';
import { EVENT_TYPE, IDENTITY_TYPE, type ProfileFactInput } from '@portrait/connector-sdk';
import type { FieldError } from '@portrait/core/http';
import { ecommerceEventOf } from './segment-ecommerce.js';
import { accountTraits, personTraits, snakeCaseKey } from './segment-traits.js';
import type { SegmentMessage, SegmentMessageType } from './segment-message.schemas.js';

/** Every fact from the tracking API carries this source. */
export const TRACKING_SOURCE = 'api';

export interface MappedMessage {
  fact?: ProfileFactInput;
  errors: FieldError[];
  warnings: string[];
}

export interface MessageEnvelope {
  /** When the request arrived (the server's clock). */
  receivedAt: Date;
  /** The batch's context and sentAt, which each message inherits. */
  context?: Record<string, unknown>;
  sentAt?: string;
  /** Field path prefix for errors, e.g. `batch.3.` (empty for single calls). */
  path: string;
}

/**
 * One Segment message as one ProfileFact of the `api` source:
 * userId → `user_id`, anonymousId → `anonymous_id`, traits.email/phone → identifiers too;
 * identify → traits (and context.traits on every call); track → an event named in snake case,
 * deduplicated by messageId — Segment's e-commerce events (spec v2) as Portrait's (`Order Completed` →
 * `order_placed`, deduplicated by order id; see segment-ecommerce.ts); page/screen → `page_viewed`/`screen_viewed`; group → the user's account
 * (group_id identifier, account traits); alias → previousId (as anonymous_id) joined to userId.
 */
export function segmentMessageToFact(type: SegmentMessageType, message: SegmentMessage, envelope: MessageEnvelope): MappedMessage {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const field = (name: string) => `${envelope.path}${name}`;

  const occurredAt = resolveTimestamp(message, envelope, (name, reason) => errors.push({ field: field(name), message: reason }));
  const context = { ...envelope.context, ...(message.context ?? {}) };
  const contextTraits = isObject(context.traits) ? context.traits : undefined;

  const userId = message.userId;
  const anonymousId = message.anonymousId;
  if (type !== 'alias' && !userId && !anonymousId) errors.push({ field: field('userId'), message: 'userId or anonymousId is required' });

  const personInput = type === 'identify' ? { ...contextTraits, ...(isObject(message.traits) ? message.traits : {}) } : contextTraits;
  const person = personTraits(personInput);
  warnings.push(...person.warnings.map((w) => `${field('traits')}: ${w}`));

  const identities: { type: string; value: string }[] = [];
  if (userId) identities.push({ type: 'user_id', value: userId });
  if (anonymousId) identities.push({ type: 'anonymous_id', value: anonymousId });
  if (typeof person.traits.email === 'string' && person.traits.email.trim()) identities.push({ type: 'email', value: person.traits.email });
  if (typeof person.traits.phone === 'string' && person.traits.phone.trim()) identities.push({ type: 'phone', value: person.traits.phone });

  const fact: ProfileFactInput = {
    source: TRACKING_SOURCE,
    externalId: userId ? `user_id:${userId}` : `anonymous_id:${anonymousId}`,
    kind: 'person',
    identities,
    traits: person.traits,
    observedAt: occurredAt ?? envelope.receivedAt,
  };
  const consent = consentOf(context.consent, occurredAt ?? envelope.receivedAt, (name, reason) => errors.push({ field: field(name), message: reason }));
  if (consent.length) fact.consent = consent;
  const dedupeKey = message.messageId ? dedupeKeyOf(message.messageId) : undefined;
  const properties = 'properties' in message && isObject(message.properties) ? message.properties : {};

  switch (type) {
    case 'identify':
      break;
    case 'track': {
      const name = (message as { event: string }).event;
      const ecommerce = ecommerceEventOf(name, properties);
      const eventType = ecommerce?.type ?? eventTypeOf(name);
      if (!eventType) errors.push({ field: field('event'), message: 'must contain a letter (event names are stored in snake case: Signed Up → signed_up)' });
      else {
        const key = ecommerce?.dedupeKey ? dedupeKeyOf(ecommerce.dedupeKey) : dedupeKey;
        fact.events = [{ type: eventType, occurredAt: fact.observedAt, properties: ecommerce?.properties ?? { ...properties }, dedupeKey: key }];
      }
      break;
    }
    case 'page':
    case 'screen': {
      const { name, category } = message as { name?: string; category?: string };
      fact.events = [
        {
          type: type === 'page' ? 'page_viewed' : 'screen_viewed',
          occurredAt: fact.observedAt,
          properties: { ...properties, ...(name !== undefined ? { name } : {}), ...(category !== undefined ? { category } : {}) },
          dedupeKey,
        },
      ];
      break;
    }
    case 'group': {
      const groupId = (message as { groupId: string }).groupId;
      const account = accountTraits(isObject(message.traits) ? message.traits : undefined);
      warnings.push(...account.warnings.map((w) => `${field('traits')}: ${w}`));
      fact.account = { externalId: `group_id:${groupId}`, identities: [{ type: 'group_id', value: groupId }], traits: account.traits };
      break;
    }
    case 'alias': {
      const previousId = (message as { previousId: string }).previousId;
      fact.externalId = `user_id:${userId}`;
      fact.identities = [{ type: 'user_id', value: userId! }, { type: 'anonymous_id', value: previousId }];
      if (anonymousId && anonymousId !== previousId) fact.identities.push({ type: 'anonymous_id', value: anonymousId });
      fact.traits = {};
      break;
    }
  }
  return errors.length ? { errors, warnings } : { fact, errors, warnings };
}

/**
 * Segment's consent convention: `context.consent.categoryPreferences`, category → true/false, as
 * consent per purpose dated by the message (`Email Marketing` or `emailMarketing` → `email_marketing`).
 * A category that is not stated is not granted (the engine's default); a value that is not a boolean
 * is refused.
 */
function consentOf(value: unknown, at: Date, fail: (field: string, reason: string) => void): NonNullable<ProfileFactInput['consent']> {
  if (value === undefined) return [];
  if (!isObject(value)) {
    fail('context.consent', 'must be an object with categoryPreferences');
    return [];
  }
  const preferences = value.categoryPreferences;
  if (preferences === undefined) return [];
  if (!isObject(preferences)) {
    fail('context.consent.categoryPreferences', 'must be an object of category → true/false');
    return [];
  }
  const consent: NonNullable<ProfileFactInput['consent']> = [];
  for (const [category, granted] of Object.entries(preferences)) {
    const name = `context.consent.categoryPreferences.${category}`;
    const purpose = snakeCaseKey(category.replace(/\./g, ' '));
    if (!purpose || !IDENTITY_TYPE.test(purpose)) fail(name, 'the category must contain a letter (categories are stored in snake case: Email Marketing → email_marketing)');
    else if (typeof granted !== 'boolean') fail(name, 'must be true or false');
    else consent.push({ purpose, granted, at: at.toISOString() });
  }
  return consent;
}

/** `Order Completed` → `order_completed`; undefined when no usable name is left. */
export function eventTypeOf(name: string): string | undefined {
  const type = snakeCaseKey(name.replace(/\./g, ' '));
  return type && EVENT_TYPE.test(type) ? type : undefined;
}

/**
 * Segment's rule: `timestamp` when given; else `originalTimestamp` corrected for the sender's clock
 * skew (receivedAt − (sentAt − originalTimestamp)); else when it was received.
 */
function resolveTimestamp(message: SegmentMessage, envelope: MessageEnvelope, fail: (field: string, reason: string) => void): Date | undefined {
  const parse = (name: string, value: string | undefined): Date | undefined | null => {
    if (value === undefined) return undefined;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) {
      fail(name, 'must be an ISO-8601 date-time');
      return null;
    }
    return date;
  };
  const timestamp = parse('timestamp', message.timestamp);
  if (timestamp) return timestamp;
  const original = parse('originalTimestamp', message.originalTimestamp);
  const sentAt = parse('sentAt', message.sentAt ?? envelope.sentAt);
  if (timestamp === null || original === null || sentAt === null) return undefined;
  if (original && sentAt) return new Date(envelope.receivedAt.getTime() - (sentAt.getTime() - original.getTime()));
  return original ?? envelope.receivedAt;
}

/** Keys (messageIds, order ids) are used as given up to 256 characters (the events table's key size), hashed beyond. */
function dedupeKeyOf(key: string): string {
  return key.length <= 256 ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
