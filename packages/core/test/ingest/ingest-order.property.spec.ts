import fc from 'fast-check';
import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

/**
 * Ingesting the same facts in any order and any batch split yields the same grouping of records into
 * profiles and the same computed traits. Facts carry only email and phone identifiers (limit 5 per
 * profile) and each person has at most two of each, so no limit conflict can arise: the grouping is
 * then the connected components of the identifier graph, whatever the order.
 */

const SOURCES = ['shopify', 'mailchimp', 'stripe'] as const;
const day = (d: number) => new Date(Date.UTC(2026, 0, 1 + d)).toISOString();

interface Person {
  emails: string[];
  phones: string[];
}

/** Writes the same identifier differently, as channels do. */
function messy(value: string, style: number, kind: 'email' | 'phone'): string {
  if (kind === 'email') return [value, value.toUpperCase(), `  ${value} `][style % 3]!;
  const digits = value.replace('+1', '');
  return [value, `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`, `+1 ${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`][style % 3]!;
}

const people: Person[] = Array.from({ length: 6 }, (_, p) => ({
  emails: [`person${p}@mail.test`, `p${p}.alt@work.test`],
  phones: [`+1415555${String(1000 + p * 2)}`, `+1415555${String(1001 + p * 2)}`],
}));

/** One record of a person in one source: some of the person's identifiers, a trait, some orders. */
const factArb = fc.record({
  person: fc.integer({ min: 0, max: people.length - 1 }),
  source: fc.constantFrom(...SOURCES),
  emails: fc.subarray([0, 1]),
  phones: fc.subarray([0, 1]),
  style: fc.nat(5),
  orders: fc.array(fc.record({ day: fc.integer({ min: 1, max: 300 }), total: fc.integer({ min: 1, max: 900 }), discount: fc.constantFrom(0, 0, 5) }), {
    maxLength: 3,
  }),
});

type FactSpec = typeof factArb extends fc.Arbitrary<infer T> ? T : never;

function toFacts(specs: FactSpec[]): ProfileFactInput[] {
  return specs
    .map((spec, i) => {
      const person = people[spec.person]!;
      const identities = [
        ...spec.emails.map((e) => ({ type: 'email', value: messy(person.emails[e]!, spec.style, 'email') })),
        ...spec.phones.map((p) => ({ type: 'phone', value: messy(person.phones[p]!, spec.style, 'phone') })),
      ];
      return {
        source: spec.source,
        externalId: `r${i}`,
        identities,
        traits: { [`${spec.source}.seen`]: true },
        events: spec.orders.map((o, n) => ({
          type: 'order_placed',
          occurredAt: day(o.day),
          properties: { total: o.total, discount_total: o.discount },
          dedupeKey: `r${i}-o${n}`,
        })),
        observedAt: day(0),
      };
    })
    .filter((f) => f.identities.length > 0);
}

/** Splits facts into consecutive batches at the given cut points. */
function split<T>(items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const batches: T[][] = [];
  let start = 0;
  for (const p of [...points, items.length]) {
    if (p > start) batches.push(items.slice(start, p));
    start = Math.max(start, p);
  }
  return batches;
}

describe('ingest is independent of order and batching', () => {
  let core: TestCore;
  let ingest: IngestService;

  beforeAll(async () => {
    core = await createTestCore();
    ingest = core.app.get(IngestService);
  });
  afterAll(() => core?.close());

  /** Each live profile as its sorted record ids and its computed traits (clock-dependent ones left out). */
  async function outcome(ws: string): Promise<string[]> {
    const rows: { records: string[]; computed: Record<string, unknown> }[] = await core.db.dataSource.query(
      `SELECT array_agg(r.external_id ORDER BY r.external_id) AS records, p.computed
         FROM profiles p JOIN source_records r ON r.profile_id = p.id
        WHERE p.workspace_id = $1 AND p.merged_into IS NULL
        GROUP BY p.id, p.computed`,
      [ws],
    );
    return rows
      .map(({ records, computed }) => {
        const { days_since_last_order: _clock, ...stable } = computed;
        return JSON.stringify([records, Object.entries(stable).sort(([a], [b]) => a.localeCompare(b))]);
      })
      .sort();
  }

  it('gives the same profiles and computed traits for any permutation and batch split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(factArb, { minLength: 1, maxLength: 14 }),
        fc.array(fc.nat(20), { maxLength: 4 }),
        fc.integer(),
        async (specs, cuts, seed) => {
          const facts = toFacts(specs);
          fc.pre(facts.length > 0);

          const reference = await core.workspace();
          await ingest.ingest(reference, facts);

          const shuffled = fc.sample(fc.shuffledSubarray(facts, { minLength: facts.length }), { seed, numRuns: 1 })[0]!;
          const other = await core.workspace();
          for (const batch of split(shuffled, cuts)) {
            const result = await ingest.ingest(other, batch);
            expect(result.rejected).toBe(0);
            expect(result.conflicts).toBe(0);
          }

          expect(await outcome(other)).toEqual(await outcome(reference));
        },
      ),
      { numRuns: 40 },
    );
  });
});
