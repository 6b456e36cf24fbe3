import { z } from 'zod';
import { parsePlainFact } from './plain-fact.js';
import { findJsonProblems, unstorableDateReason } from './storable-json.js';

/**
 * ProfileFact: what every source yields, whatever the channel. One fact is one record of one source
 * (a Shopify customer, a Mailchimp member, a CSV row) as observed at `observedAt`.
 */

/** Identifier type: lower snake case, e.g. `email`, `shopify_customer_id`. */
export const IDENTITY_TYPE = /^[a-z][a-z0-9_]{0,63}$/;
/** Trait key: lower snake case, optionally namespaced by channel with dots: `mailchimp.avg_open_rate`. */
export const TRAIT_KEY = /^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63}){0,3}$/;
/** Event type: lower snake case, optionally namespaced: `order_placed`, `email_opened`, `segment.entered`. */
export const EVENT_TYPE = /^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63}){0,3}$/;
/** Source id: the connector instance's slug, e.g. `shopify`, `csv-store-visits`, `api`. */
export const SOURCE_ID = /^[a-z][a-z0-9_-]{0,63}$/;

const timestamp = z
  .union([z.string(), z.date()])
  .transform((value, ctx) => {
    const date = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 timestamp' });
      return z.NEVER;
    }
    const outOfRange = unstorableDateReason(date);
    if (outOfRange) {
      ctx.addIssue({ code: 'custom', message: outOfRange });
      return z.NEVER;
    }
    return date.toISOString();
  });

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number().finite(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const identitySchema = z.object({
  type: z.string().regex(IDENTITY_TYPE, 'must be lower snake case, e.g. email or shopify_customer_id'),
  value: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters'),
});

export const traitsSchema = z.record(z.string().regex(TRAIT_KEY, 'trait keys are lower snake case, optionally namespaced: mailchimp.avg_open_rate'), jsonValue);

export const factEventSchema = z.object({
  type: z.string().regex(EVENT_TYPE, 'must be lower snake case, e.g. order_placed'),
  occurredAt: timestamp,
  properties: z.record(z.string(), jsonValue).default({}),
  /** Unique per source for this event (e.g. the order id); replays with the same key are ignored. */
  dedupeKey: z.string().min(1).max(256).optional(),
});

export const consentSchema = z.object({
  purpose: z.string().regex(IDENTITY_TYPE, 'must be lower snake case, e.g. email_marketing'),
  granted: z.boolean(),
  at: timestamp,
});

export const accountRefSchema = z.object({
  /** The account's id in the source, when the channel has one. */
  externalId: z.string().min(1).max(256).optional(),
  identities: z.array(identitySchema).min(1, 'an account needs at least one identity (e.g. domain)'),
  traits: traitsSchema.default({}),
});

export const profileFactSchema = z.object({
  source: z.string().regex(SOURCE_ID, 'must be a lower-case source id, e.g. shopify'),
  externalId: z.string().min(1, 'must not be empty').max(256),
  kind: z.enum(['person', 'account']).default('person'),
  identities: z.array(identitySchema).min(1, 'a fact needs at least one identity').max(100),
  traits: traitsSchema.default({}),
  events: z.array(factEventSchema).max(10_000).default([]),
  consent: z.array(consentSchema).default([]),
  account: accountRefSchema.optional(),
  observedAt: timestamp,
});

export type Identity = z.infer<typeof identitySchema>;
export type FactEvent = z.infer<typeof factEventSchema>;
export type Consent = z.infer<typeof consentSchema>;
export type AccountRef = z.infer<typeof accountRefSchema>;
/** A validated fact: defaults applied, timestamps as ISO-8601 UTC strings. */
export type ProfileFact = z.infer<typeof profileFactSchema>;
/** What a plugin writes: dates may be Date objects, optional lists may be left out. */
export type ProfileFactInput = z.input<typeof profileFactSchema>;

export type FactValidation = { ok: true; fact: ProfileFact } | { ok: false; reason: string };

/**
 * How deep a fact may nest: its own structure (fact, events, an event, its properties) and 32 levels
 * of properties below, as the plain-fact check allows.
 */
const MAX_FACT_DEPTH = 40;

/**
 * Validates one fact; the reason names every offending field (`identities.0.value: must not be empty`).
 * Text PostgreSQL cannot store (a NUL character, a lone surrogate), refused keys and nesting too deep
 * are found before the schema, without recursion, so that such a record is refused with its reason,
 * never a failed batch (a fact the plain path takes has none of them).
 */
export function validateFact(input: unknown): FactValidation {
  // The common case: the plain path takes only storable text and bounded nesting, so no other walk is needed.
  const plain = parsePlainFact(input);
  if (!plain) {
    const unstorable = findJsonProblems(input, { maxDepth: MAX_FACT_DEPTH });
    if (unstorable.length) return { ok: false, reason: formatIssues(unstorable.map((p) => ({ path: p.field === '(body)' ? [] : [p.field], message: p.message }))) };
  }
  const parsed = plain ? { success: true as const, data: plain } : profileFactSchema.safeParse(input);
  if (parsed.success) {
    const vocabularyIssue = checkVocabularyTypes(parsed.data.traits);
    return vocabularyIssue ? { ok: false, reason: vocabularyIssue } : { ok: true, fact: parsed.data };
  }
  return { ok: false, reason: formatIssues(parsed.error.issues) };
}

export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], whole = '(fact)'): string {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : whole}: ${i.message}`).join('; ');
}

/**
 * The trait vocabulary: keys every channel maps into so that a profile reads the same whatever its
 * sources. Channel-specific traits are namespaced by channel (`mailchimp.avg_open_rate`,
 * `shopify.tags`); a key without a dot that is not listed here is allowed but should be rare.
 */
export const TRAIT_VOCABULARY = {
  email: { type: 'string', description: 'Primary email address' },
  phone: { type: 'string', description: 'Primary phone number, E.164 when known' },
  first_name: { type: 'string', description: 'Given name' },
  last_name: { type: 'string', description: 'Family name' },
  name: { type: 'string', description: 'Full name (person) or legal name (account)' },
  gender: { type: 'string', description: 'As stated by the person: female, male, non_binary, other' },
  birthday: { type: 'string', description: 'Date of birth, YYYY-MM-DD' },
  age: { type: 'number', description: 'Age in years, when no birthday is known' },
  country: { type: 'string', description: 'ISO 3166-1 alpha-2 country code, upper case: BR, US' },
  region: { type: 'string', description: 'State or province' },
  city: { type: 'string', description: 'City' },
  postal_code: { type: 'string', description: 'Postal code' },
  language: { type: 'string', description: 'BCP 47 language tag: pt-BR' },
  timezone: { type: 'string', description: 'IANA time zone: America/Sao_Paulo' },
  company: { type: 'string', description: 'Employer name (person)' },
  job_title: { type: 'string', description: 'Job title (person)' },
  avatar_url: { type: 'string', description: 'Picture URL' },
  domain: { type: 'string', description: 'Web domain (account)' },
  industry: { type: 'string', description: 'Industry (account)' },
  employee_count: { type: 'number', description: 'Number of employees (account)' },
  annual_revenue: { type: 'number', description: 'Annual revenue in the account currency (account)' },
  plan: { type: 'string', description: 'Subscription plan' },
  created_at: { type: 'string', description: 'When the person or account was created in the source, ISO-8601' },
} as const satisfies Record<string, { type: 'string' | 'number' | 'boolean'; description: string }>;

export type VocabularyTrait = keyof typeof TRAIT_VOCABULARY;

function checkVocabularyTypes(traits: Record<string, unknown>): string | undefined {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(traits)) {
    const entry = (TRAIT_VOCABULARY as Record<string, { type: string }>)[key];
    if (entry && value !== null && typeof value !== entry.type) problems.push(`traits.${key}: must be a ${entry.type} or null`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

/** Names a channel-specific trait: `namespaced('mailchimp', 'avg_open_rate')` → `mailchimp.avg_open_rate`. */
export function namespaced(channel: string, key: string): string {
  return `${channel}.${key}`;
}

/** Event types of the shared vocabulary, used by the default computed traits. */
export const EVENT_VOCABULARY = {
  order_placed: 'An order was placed. properties: order_id, total (number), currency, discount_total, discount_codes[], line_items[] (each: product_id, product_type, quantity, price)',
  order_refunded: 'An order (or part of it) was refunded. properties: order_id, amount, currency, line_items[] (each: product_id, product_type, quantity, amount)',
  order_cancelled: 'An order was cancelled (its total stays counted; refunds subtract). properties: order_id, reason',
  product_viewed: 'A product was viewed. properties: product_id, sku, title, product_type, price, currency',
  product_added: 'A product was added to a cart. properties: product_id, sku, title, product_type, quantity, price, currency, cart_id',
  checkout_started: 'A checkout started. properties: order_id, total (number), currency, discount_total, discount_codes[], line_items[]',
  coupon_applied: 'A coupon was applied to a cart or order. properties: coupon_id, discount_code, discount_total',
  email_sent: 'A campaign email was sent. properties: campaign_id',
  email_opened: 'A campaign email was opened. properties: campaign_id',
  email_clicked: 'A link in a campaign email was clicked. properties: campaign_id, url',
  page_viewed: 'A web page was viewed. properties: url, title',
  session_started: 'A web or app session started. properties: channel, medium',
  subscription_started: 'A paid subscription started. properties: plan, amount',
  subscription_cancelled: 'A paid subscription was cancelled. properties: plan',
  invoice_paid: 'An invoice was paid. properties: amount, currency',
} as const;
