import type { ProfileFactInput } from '@portrait/connector-sdk';

/**
 * A deterministic population for the ingest benchmark, generated on the fly (nothing is held in
 * memory): people appear in one to three sources (~30% in two or more), each source writes their
 * email and phone its own way (case, spacing, national and international phone formats), and every
 * fact carries the person's email, so the true number of people is known exactly.
 */

export const SOURCES = ['shopify', 'mailchimp', 'stripe'] as const;
export type SourceName = (typeof SOURCES)[number];

const FIRST = ['ana', 'bruno', 'carla', 'diego', 'elena', 'farid', 'grace', 'hugo', 'ines', 'jonas', 'kemi', 'liam', 'maya', 'noah', 'olga', 'pedro'];
const LAST = ['silva', 'smith', 'garcia', 'muller', 'rossi', 'tanaka', 'kowalski', 'okafor', 'nguyen', 'dubois', 'haddad', 'larsen'];
const CITIES = ['New York', 'Chicago', 'Austin', 'Seattle', 'Denver', 'Boston'];
const AREA = ['212', '312', '512', '206', '303', '617'];
const DOMAINS = ['mail.test', 'inbox.test', 'post.test'];

/** A well-mixed hash of (index, salt) in [0, 1). */
export function unit(i: number, salt: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const pick = <T>(list: readonly T[], i: number, salt: number): T => list[Math.floor(unit(i, salt) * list.length)]!;

/** Which sources know person `i`: one (70%), two (20%) or all three (10%). */
export function sourcesOf(i: number): SourceName[] {
  const r = unit(i, 1);
  const first = Math.floor(unit(i, 2) * 3);
  const count = r < 0.7 ? 1 : r < 0.9 ? 2 : 3;
  return Array.from({ length: count }, (_, k) => SOURCES[(first + k) % 3]!);
}

/** How many people make about `facts` facts (1.4 facts per person on average). */
export function peopleFor(facts: number): number {
  return Math.round(facts / 1.4);
}

function messyEmail(email: string, style: number): string {
  return [email, email.toUpperCase(), `  ${email} `, email.replace(/^./, (c) => c.toUpperCase())][style % 4]!;
}

function messyPhone(area: string, line: string, style: number): string {
  const [a, b] = [line.slice(0, 3), line.slice(3)];
  return [`+1${area}${line}`, `(${area}) ${a}-${b}`, `${area}.${a}.${b}`, `+1 ${area} ${a} ${b}`][style % 4]!;
}

/** The fact source `source` holds about person `i`, with about three events on average. */
export function factOf(i: number, source: SourceName, observedAt: string): ProfileFactInput {
  const s = SOURCES.indexOf(source);
  const first = pick(FIRST, i, 3);
  const last = pick(LAST, i, 4);
  const email = `${first}.${last}.${i}@${pick(DOMAINS, i, 5)}`;
  const style = Math.floor(unit(i, 10 + s) * 4);
  const identities = [{ type: 'email', value: messyEmail(email, style) }];
  if (unit(i, 20 + s) < 0.5) identities.push({ type: 'phone', value: messyPhone(pick(AREA, i, 6), String(2_000_000 + i), style) });
  const idType = { shopify: 'shopify_customer_id', mailchimp: 'mailchimp_member_id', stripe: 'stripe_customer_id' }[source];
  identities.push({ type: idType, value: `${source.slice(0, 2)}${i}` });

  const eventCount = Math.floor(unit(i, 30 + s) * 7);
  const eventType = source === 'mailchimp' ? 'email_opened' : 'order_placed';
  const events = Array.from({ length: eventCount }, (_, n) => {
    const total = Math.round(unit(i * 7 + n, 40 + s) * 50_000) / 100;
    return {
      type: eventType,
      occurredAt: new Date(Date.UTC(2025, 0, 1) + Math.floor(unit(i * 7 + n, 50 + s) * 300) * 86_400_000).toISOString(),
      properties: eventType === 'order_placed' ? { total, discount_total: n % 4 === 0 ? 5 : 0, currency: 'USD' } : { campaign_id: `c${n}` },
      dedupeKey: `${source}:${i}:${n}`,
    };
  });

  return {
    source,
    externalId: `${source}-${i}`,
    kind: 'person',
    identities,
    traits: {
      first_name: style === 1 ? first.toUpperCase() : first,
      last_name: last,
      city: pick(CITIES, i, 7),
      country: 'US',
      ...(source === 'mailchimp' ? { 'mailchimp.rating': 1 + Math.floor(unit(i, 8) * 5) } : {}),
    },
    events,
    observedAt,
  };
}

/**
 * Every fact of the population in batches, source after source (as separate syncs would bring them);
 * with `only`, the facts of that one source.
 */
export function* factBatches(people: number, batchSize: number, only?: SourceName): Generator<ProfileFactInput[]> {
  let batch: ProfileFactInput[] = [];
  for (const [s, source] of SOURCES.entries()) {
    if (only && source !== only) continue;
    const observedAt = new Date(Date.UTC(2025, 10, 1 + s)).toISOString();
    for (let i = 0; i < people; i++) {
      if (!sourcesOf(i).includes(source)) continue;
      batch.push(factOf(i, source, observedAt));
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}
