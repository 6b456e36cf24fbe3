import { FORBIDDEN_KEYS, isStorableText, unstorableDateReason } from './storable-json.js';
import { EVENT_TYPE, IDENTITY_TYPE, SOURCE_ID, TRAIT_KEY, type ProfileFact } from './profile-fact.js';

/**
 * `profileFactSchema.parse` for the common case, without the schema machinery (ingest validates every
 * fact it receives, and the schema's generic walk costs more than the rest of preparing a batch).
 * Answers what the schema answers when `input` is plainly valid — plain objects and arrays, no
 * `__proto__`, `constructor`, `prototype` or symbol keys, text PostgreSQL stores (no NUL, no lone
 * surrogate: `validateFact` then needs no walk of its own), values within every bound — and `undefined` for anything
 * else, valid or not: then the schema decides, and names the problem. So it never accepts what the
 * schema refuses, and never answers differently (a property test holds it to that). Unlike the
 * schema, it does not copy JSON values (traits, event properties): the fact shares them with the input.
 */
export function parsePlainFact(input: unknown): ProfileFact | undefined {
  if (!isPlain(input)) return undefined;
  const { source, externalId, kind = 'person', identities, traits = {}, events = [], consent = [], account, observedAt } = input;
  if (typeof source !== 'string' || !SOURCE_ID.test(source)) return undefined;
  if (!boundedString(externalId, 256) || (kind !== 'person' && kind !== 'account')) return undefined;
  const factIdentities = identityList(identities, 100);
  const factTraits = traitsOf(traits);
  const at = instant(observedAt);
  if (!factIdentities || !factTraits || at === undefined || !Array.isArray(events) || events.length > 10_000 || !Array.isArray(consent)) return undefined;

  const factEvents: ProfileFact['events'] = [];
  for (const event of events) {
    if (!isPlain(event)) return undefined;
    const { type, occurredAt, properties = {}, dedupeKey } = event;
    const when = instant(occurredAt);
    if (typeof type !== 'string' || !EVENT_TYPE.test(type) || when === undefined || !jsonRecord(properties, 0)) return undefined;
    if (dedupeKey === undefined) factEvents.push({ type, occurredAt: when, properties });
    else if (boundedString(dedupeKey, 256)) factEvents.push({ type, occurredAt: when, properties, dedupeKey });
    else return undefined;
  }
  const factConsent: ProfileFact['consent'] = [];
  for (const statement of consent) {
    if (!isPlain(statement)) return undefined;
    const { purpose, granted, at: stated } = statement;
    const when = instant(stated);
    if (typeof purpose !== 'string' || !IDENTITY_TYPE.test(purpose) || typeof granted !== 'boolean' || when === undefined) return undefined;
    factConsent.push({ purpose, granted, at: when });
  }
  const fact: ProfileFact = { source, externalId, kind, identities: factIdentities, traits: factTraits, events: factEvents, consent: factConsent, observedAt: at };
  if (account !== undefined) {
    if (!isPlain(account)) return undefined;
    const { externalId: accountId, identities: accountIdentities, traits: accountTraits = {} } = account;
    const ids = identityList(accountIdentities, Infinity);
    const accountTraitsOf = traitsOf(accountTraits);
    if (!ids || !accountTraitsOf || (accountId !== undefined && !boundedString(accountId, 256))) return undefined;
    fact.account = accountId === undefined ? { identities: ids, traits: accountTraitsOf } : { externalId: accountId, identities: ids, traits: accountTraitsOf };
  }
  return fact;
}

type Plain = Record<string, unknown>;

/** An object literal's kind of object, with nothing a schema would treat specially. */
function isPlain(value: unknown): value is Plain {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !Object.hasOwn(value, 'constructor') &&
    !Object.hasOwn(value, '__proto__') &&
    Object.getOwnPropertySymbols(value).length === 0
  );
}

const boundedString = (value: unknown, max: number): value is string => typeof value === 'string' && value.length >= 1 && value.length <= max && isStorableText(value);

function identityList(value: unknown, max: number): ProfileFact['identities'] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > max) return undefined;
  const out: ProfileFact['identities'] = [];
  for (const identity of value) {
    if (!isPlain(identity)) return undefined;
    const { type, value: v } = identity;
    if (typeof type !== 'string' || !IDENTITY_TYPE.test(type) || !boundedString(v, 512)) return undefined;
    out.push({ type, value: v });
  }
  return out;
}

function traitsOf(value: unknown): Record<string, unknown> | undefined {
  if (!jsonRecord(value, 0)) return undefined;
  for (const key of Object.keys(value)) if (!TRAIT_KEY.test(key)) return undefined;
  return value;
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ`, the form the timestamp schema answers. */
const CANONICAL_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The timestamp schema's answer: an ISO-8601 UTC string, from a parseable string or a valid Date. */
function instant(value: unknown): string | undefined {
  if (typeof value === 'string') {
    // Already in the answer's form (most sources write it so): it is its own answer when it names a real day.
    const canonical = CANONICAL_INSTANT.exec(value);
    if (canonical) {
      const [year, month, day] = [Number(canonical[1]), Number(canonical[2]), Number(canonical[3])];
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      if (year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! + (month === 2 && leap ? 1 : 0)) return value;
    }
  } else if (!(value instanceof Date)) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) || unstorableDateReason(date) ? undefined : date.toISOString();
}

/** Deep enough for any real payload; deeper ones go to the schema. */
const MAX_DEPTH = 32;

function jsonRecord(value: unknown, depth: number): value is Plain {
  if (!isPlain(value) || depth > MAX_DEPTH) return false;
  for (const key of Object.keys(value)) if (FORBIDDEN_KEYS.has(key) || !isStorableText(key) || !jsonValue(value[key], depth + 1)) return false;
  return true;
}

function jsonValue(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
      return isStorableText(value);
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      if (value === null) return true;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype || depth > MAX_DEPTH) return false;
        for (let i = 0; i < value.length; i++) if (!(i in value) || !jsonValue(value[i], depth + 1)) return false;
        return true;
      }
      return jsonRecord(value, depth);
    default:
      return false;
  }
}
