import { IcpScoringService, IcpsService, IngestService } from '@portrait/core';
import { createTestCore } from '@portrait/core/testing';
import type { ProfileFactInput } from '@portrait/connector-sdk';
import { numberArg, printTable, timed } from '../lib/measure.js';

/**
 * ICP scoring at scale: --accounts accounts (industry, employee_count, technologies) with --people
 * people each (half of them with a page view), ingested through the ingest, then statistics gathered
 * (ANALYZE, as autovacuum does on a live database). Measured: creating an ICP of three account
 * criteria and one people criterion (the whole workspace scored before the answer), the same full
 * run again when nothing changes, a 1,000-person ingest batch with the fan-out it triggers, and the
 * incremental scoring of 1,000 changed people.
 *
 *   pnpm bench:icp [--accounts=10000] [--people=10]
 *   (DATABASE_URL or the local PostgreSQL, on a test database of its own)
 */

const accounts = numberArg('accounts', 10_000);
const perAccount = numberArg('people', 10);
const at = new Date().toISOString();
const industries = ['software', 'retail', 'finance', 'health'];

const account = (i: number): ProfileFactInput => ({
  source: 'crm',
  externalId: `a${i}`,
  kind: 'account',
  identities: [{ type: 'domain', value: `a${i}.example` }],
  traits: { industry: industries[i % 4], employee_count: (i * 37) % 2000, technologies: i % 3 ? ['shopify'] : ['magento'] },
  observedAt: at,
});
const person = (j: number, dedupe: string, withAccount = true): ProfileFactInput => ({
  source: 'app',
  externalId: `p${j}`,
  identities: [{ type: 'email', value: `p${j}@people.example` }],
  traits: {},
  ...(withAccount ? { account: { identities: [{ type: 'domain', value: `a${j % accounts}.example` }] } } : {}),
  events: j % 2 || dedupe !== 'e' ? [{ type: 'page_viewed', occurredAt: at, properties: {}, dedupeKey: `${dedupe}${j}` }] : [],
  observedAt: at,
});

async function main(): Promise<void> {
  const core = await createTestCore();
  try {
    const ws = await core.workspace();
    const ingest = core.app.get(IngestService);
    const seeded = await timed(async () => {
      for (let start = 0; start < accounts; start += 1000) await ingest.ingest(ws, Array.from({ length: Math.min(1000, accounts - start) }, (_, k) => account(start + k)));
      const people = accounts * perAccount;
      for (let start = 0; start < people; start += 2000) await ingest.ingest(ws, Array.from({ length: Math.min(2000, people - start) }, (_, k) => person(start + k, 'e')));
    });
    await core.db.dataSource.query('ANALYZE');
    const criteria = [
      { condition: { trait: 'industry', op: 'eq', value: 'software' }, weight: 3 },
      { condition: { trait: 'employee_count', op: 'between', value: [50, 1000] }, weight: 2 },
      { condition: { trait: 'technologies', op: 'contains', value: 'shopify' }, weight: 1 },
      { kind: 'people', condition: { event: 'page_viewed' }, minPeople: 3, weight: 2 },
    ];
    const created = await timed(() => core.app.get(IcpsService).create(ws, { name: 'Mid-market', threshold: 70, criteria }));
    const again = await timed(() => core.app.get(IcpScoringService).rescoreAll(ws));
    const batch = await timed(() => ingest.ingest(ws, Array.from({ length: 1000 }, (_, k) => person(k * 7, 'f', false))));
    const changed: { id: string }[] = await core.db.dataSource.query(`SELECT id FROM profiles WHERE workspace_id = $1 AND kind = 'person' ORDER BY random() LIMIT 1000`, [ws]);
    const incremental = await timed(() => core.app.get(IcpScoringService).scoreProfiles(ws, changed.map((r) => r.id)));
    printTable([
      { step: `seed ${accounts} accounts, ${accounts * perAccount} people (ingest)`, ms: Math.round(seeded.ms) },
      { step: `create an ICP: ${created.result.accounts} accounts scored (${created.result.qualified} qualified), every fit set`, ms: Math.round(created.ms) },
      { step: 'full run again, nothing changes', ms: Math.round(again.ms) },
      { step: 'ingest 1,000 people with a page view (fan-out included)', ms: Math.round(batch.ms) },
      { step: `incremental scoring of 1,000 changed people (${incremental.result.accounts} accounts)`, ms: Math.round(incremental.ms) },
    ]);
  } finally {
    await core.close();
  }
}

await main();
