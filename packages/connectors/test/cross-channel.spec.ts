import { ProfileSettingsService, SourcesService, SyncService } from '@portrait/core';
import { createTestCore, startedRun, type TestCore } from '@portrait/core/testing';
import { MailchimpSandbox, SANDBOX_WEBHOOK_SECRET } from '@portrait/plugin-mailchimp/sandbox';
import { ShopifySandbox } from '@portrait/plugin-shopify/sandbox';
import { generatePopulation, scoreResolution } from '@portrait/testkit';
import { builtInConnectors } from '../src/index.js';

/**
 * The same population seen by two channels — a Shopify shop's customers and a Mailchimp audience's
 * members, each with its own mess (e-mail case, phone formats, family e-mails, test accounts) — synced
 * into one workspace: the profiles group the records of the same person, scored pairwise against
 * the population's truth.
 */
describe('Shopify and Mailchimp of one population in one workspace', () => {
  let core: TestCore;
  let shop: ShopifySandbox;
  let mailchimp: MailchimpSandbox;
  let population: ReturnType<typeof generatePopulation>;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'x'.repeat(40) }, connectors: builtInConnectors });
    population = generatePopulation({ seed: 77, people: 1500, companies: 8 });
    shop = await ShopifySandbox.start({ shop: 'cross-channel.myshopify.com', seed: 77, population, customers: 900, orders: 300 });
    mailchimp = await MailchimpSandbox.start({ seed: 77, population, members: 900, latencyMs: 0 });
  });
  afterAll(async () => {
    await mailchimp?.close();
    await shop?.close();
    await core?.close();
  });

  it('merges the customers and members of the same people, and never two people, household e-mails included', async () => {
    const workspaceId = await core.workspace();
    // Both channels know where people live: the workspace also matches on name and postal code.
    await core.app.get(ProfileSettingsService).replace(workspaceId, { identity: { matchKeys: ['name_postal_code'] } });
    const sources = core.app.get(SourcesService);
    const sync = core.app.get(SyncService);
    const shopSource = await sources.create(workspaceId, { connectorId: 'shopify', name: 'Shop', config: { shop: shop.shop, accessToken: shop.accessToken, allOrders: true, adminApiOrigin: shop.url } });
    const mailSource = await sources.create(workspaceId, {
      connectorId: 'mailchimp',
      name: 'Newsletter',
      config: { apiKey: mailchimp.apiKey, audienceIds: mailchimp.audienceIds, webhookSecret: SANDBOX_WEBHOOK_SECRET, apiBaseUrl: mailchimp.url },
    });
    expect(startedRun(await sync.sync(shopSource.id)).status).toBe('succeeded');
    expect(startedRun(await sync.sync(mailSource.id)).status).toBe('succeeded');

    // Each record's profile, by the channel's own id of it.
    const rows: { type: string; value: string; profile: string }[] = await core.db.dataSource.query(
      `SELECT i.type, i.value, coalesce(p.merged_into, p.id) AS profile FROM identities i JOIN profiles p ON p.id = i.profile_id
        WHERE i.workspace_id = $1 AND i.type IN ('shopify_customer_id', 'mailchimp_member_id')`,
      [workspaceId],
    );
    const profileOf = new Map(rows.map((r) => [`${r.type}:${r.value}`, r.profile]));
    const truth = new Map<string, string>();
    const groups = new Map<string, string[]>();
    // What each record holds that another record of the same person could share, as the channel wrote it.
    const clues = new Map<string, string[]>();
    const place = (recordId: string, personId: string, key: string, held: (string | null | undefined)[]) => {
      truth.set(recordId, personId);
      clues.set(recordId, held.filter((c): c is string => !!c));
      const profile = profileOf.get(key);
      if (!profile) return;
      groups.set(profile, [...(groups.get(profile) ?? []), recordId]);
    };
    const email = (value: string | null | undefined) => value && `email:${value.trim().toLowerCase()}`;
    // Digits with the country code: Mailchimp's US format omits the 1.
    const phone = (value: string | null | undefined) => {
      const digits = value?.replace(/\D/g, '');
      return digits && `phone:${digits.length === 10 && !value!.trim().startsWith('+') ? `1${digits}` : digits}`;
    };
    const postal = (value: string | null | undefined) => value && `postal:${value}`;
    for (const c of shop.data.customers) place(`shopify:${c.id}`, c.personId, `shopify_customer_id:${c.id}`, [email(c.email), phone(c.phone), postal(c.address?.zip)]);
    for (const m of mailchimp.data.allMembers()) {
      const merge = m.record.merge_fields as { PHONE?: string; ADDRESS?: { zip?: string } | '' };
      const zip = typeof merge.ADDRESS === 'object' ? merge.ADDRESS.zip : undefined;
      place(`mailchimp:${m.record.id}`, m.personId, `mailchimp_member_id:${m.record.id}`, [email(m.record.email_address), phone(merge.PHONE), postal(zip)]);
    }

    const score = scoreResolution(groups.values(), truth);
    const both = [...groups.values()].filter((g) => g.some((r) => r.startsWith('shopify:')) && g.some((r) => r.startsWith('mailchimp:'))).length;
    console.log(
      `cross-channel resolution: ${shop.data.customers.length} Shopify customers + ${mailchimp.data.allMembers().length} Mailchimp members → ${groups.size} profiles, ${both} with both; ` +
        `precision ${score.precision.toFixed(4)} (${score.truePositives}/${score.predictedPairs} pairs), recall ${score.recall.toFixed(4)} (${score.truePositives}/${score.truePairs}), F1 ${score.f1.toFixed(4)}`,
    );
    // The same score on the records that use no household e-mail: where the two channels' mess is case,
    // phone formats, work e-mails and missing fields only.
    const household = new Set(population.households.map((h) => h.email.toLowerCase()));
    const personal = new Set([
      ...shop.data.customers.filter((c) => !household.has(c.email?.trim().toLowerCase() ?? '')).map((c) => `shopify:${c.id}`),
      ...mailchimp.data.allMembers().filter((m) => !household.has(m.record.email_address.toLowerCase())).map((m) => `mailchimp:${m.record.id}`),
    ]);
    const subset = scoreResolution(
      [...groups.values()].map((g) => g.filter((r) => personal.has(r))),
      new Map([...truth].filter(([r]) => personal.has(r))),
    );
    console.log(`  without household e-mails (${personal.size} of ${truth.size} records): precision ${subset.precision.toFixed(4)}, recall ${subset.recall.toFixed(4)}`);
    expect(both).toBeGreaterThan(500);
    // Every customer and every member keeps its channel id on a profile.
    const placed = new Set([...groups.values()].flat());
    expect([...truth.keys()].filter((r) => !placed.has(r))).toEqual([]);
    // No two people merged, household e-mails included: a shared e-mail never joins records of different first names.
    expect(score.precision).toBeGreaterThanOrEqual(0.99);
    expect(subset.precision).toBeGreaterThanOrEqual(0.99);
    // Every two records of one person that share an e-mail, a phone or (the same name at) a postal code
    // end on one profile; the pairs still apart share nothing but a name.
    const profileOfRecord = new Map([...groups].flatMap(([profile, records]) => records.map((r) => [r, profile] as const)));
    const records = [...truth.keys()];
    const linkable: [string, string][] = [];
    for (let i = 0; i < records.length; i++) {
      for (let j = i + 1; j < records.length; j++) {
        const [a, b] = [records[i]!, records[j]!];
        if (truth.get(a) === truth.get(b) && clues.get(a)!.some((c) => clues.get(b)!.includes(c))) linkable.push([a, b]);
      }
    }
    const apart = linkable.filter(([a, b]) => profileOfRecord.get(a) !== profileOfRecord.get(b));
    console.log(`  ${linkable.length} of the ${score.truePairs} true pairs share an e-mail, a phone or a postal code; ${apart.length} of them apart`);
    expect(apart).toEqual([]);
    expect(score.recall).toBeGreaterThanOrEqual(0.97);
  });
});
