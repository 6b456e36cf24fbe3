import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { PersonasService } from '../../src/modules/personas/personas.service.js';
import { ProfileListingService } from '../../src/modules/profiles/profile-listing.service.js';
import { ProfilesService } from '../../src/modules/profiles/profiles.service.js';
import { SegmentMembershipService } from '../../src/modules/segments/segment-membership.service.js';
import { SegmentsService } from '../../src/modules/segments/segments.service.js';
import { TypologyClassificationService } from '../../src/modules/typology/typology-classification.service.js';
import { TypologyException } from '../../src/modules/typology/typology.exception.js';
import { TypologyService } from '../../src/modules/typology/typology.service.js';
import { WebhooksService } from '../../src/modules/webhooks/webhooks.service.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

type Fact = ProfileFactInput;
type Event = NonNullable<Fact['events']>[number];

const DAY = 24 * 60 * 60_000;
const NOW = Date.now();
/** A time `days` (and `minutes`) before now. */
const ago = (days: number, minutes = 0) => new Date(NOW - days * DAY + minutes * 60_000).toISOString();

const person = (name: string, events: Event[]): Fact => ({
  source: 'shop',
  externalId: name,
  identities: [{ type: 'email', value: `${name}@example.org` }],
  events,
  observedAt: new Date().toISOString(),
});
let seq = 0;
const event = (type: string, at: string, properties: Record<string, unknown> = {}): Event => ({ type, occurredAt: at, properties, dedupeKey: `${type}-${++seq}` });
const order = (at: string, properties: Record<string, unknown> = {}) =>
  event('order_placed', at, { total: 40, discount_total: 0, discount_codes: [], line_items: [{ product_type: `type-${seq}`, quantity: 1, price: 40 }], ...properties });
const coffee = (at: string) => order(at, { line_items: [{ product_type: 'coffee', quantity: 2, price: 20 }] });

/** Crafted behaviour histories, one per rule and per unknown case. */
const HISTORIES: Record<string, () => Event[]> = {
  // 4 of 5 orders with a code or a discount, 10 days apart.
  dina: () => [
    order(ago(50), { discount_codes: ['SAVE10'] }),
    order(ago(40), { discount_total: 5 }),
    order(ago(30)),
    order(ago(20), { discount_codes: ['SAVE10'], discount_total: 4 }),
    order(ago(10), { line_items: [{ product_type: 'tea', quantity: 1, price: 30, compare_at_price: 45 }] }),
  ],
  // An order 10 minutes into the first visit, one 5 minutes after a campaign click, one weeks later.
  ivo: () => [
    event('page_viewed', ago(120), { url: '/' }),
    order(ago(120, 10)),
    event('email_clicked', ago(60), { campaign_id: 'c1' }),
    order(ago(60, 5)),
    order(ago(10)),
  ],
  // Three orders within a few hours: a burst.
  bea: () => [order(ago(30)), order(ago(30, 90)), order(ago(30, 300))],
  // Six orders 40 days apart over 200 days, of varied products.
  lia: () => [0, 1, 2, 3, 4, 5].map((i) => order(ago(205 - i * 40))),
  // Two orders and 25 opened campaigns in the last 90 days.
  leo: () => [order(ago(150)), order(ago(50)), ...Array.from({ length: 25 }, (_, i) => event('email_opened', ago(80 - i * 3), { campaign_id: `c${i}` }))],
  // Three full-price coffee orders 60 days apart.
  nina: () => [coffee(ago(125)), coffee(ago(65)), coffee(ago(5))],
  // One order only.
  uma: () => [order(ago(3))],
  // Browsing, never buying.
  zed: () => [event('page_viewed', ago(2), { url: '/' })],
  // Three irregular full-price orders of varied products: no rule matches.
  ugo: () => [order(ago(205)), order(ago(200)), order(ago(5))],
};

describe('typology', () => {
  let core: TestCore;
  let ingest: IngestService;
  let profiles: ProfilesService;
  let typology: TypologyService;
  let classification: TypologyClassificationService;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'test-secret-key-of-at-least-32-characters!' } });
    ingest = core.app.get(IngestService);
    profiles = core.app.get(ProfilesService);
    typology = core.app.get(TypologyService);
    classification = core.app.get(TypologyClassificationService);
  });
  afterAll(() => core?.close());

  const idOf = async (ws: string, name: string) => (await profiles.findByIdentity(ws, 'email', `${name}@example.org`))!.id;
  const typologyOf = async (ws: string, name: string) => (await profiles.get(ws, await idOf(ws, name))).typology;
  const seeded = async (names: string[] = Object.keys(HISTORIES)) => {
    const ws = await core.workspace();
    await ingest.ingest(ws, names.map((name) => person(name, HISTORIES[name]!())));
    return ws;
  };
  const valuesOf = async (ws: string, names: string[]) => Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await typologyOf(ws, n))?.value ?? null])));

  it('classifies each person after the ingest by the default rules, with the reason in words and figures and the time it was set', async () => {
    const before = Date.now();
    const ws = await seeded();
    const got = Object.fromEntries(await Promise.all(Object.keys(HISTORIES).map(async (name) => [name, await typologyOf(ws, name)] as const)));
    expect(Object.fromEntries(Object.entries(got).map(([n, t]) => [n, [t?.value, t?.reason]]))).toEqual({
      dina: ['deal_based', '4 of 5 orders used a discount code or were bought on sale (80%; deal-based from 50%)'],
      ivo: ['impulsive', '2 of 3 orders were impulse purchases (67%; impulsive from 50%): 1 within 30 minutes of the first visit, 1 within 30 minutes of a campaign click, 0 within 24 hours of another order'],
      bea: ['impulsive', '3 of 3 orders were impulse purchases (100%; impulsive from 50%): 0 within 30 minutes of the first visit, 0 within 30 minutes of a campaign click, 3 within 24 hours of another order'],
      lia: ['loyal', '6 orders over 200 days at a regular interval (every 40 days on average, variation 0; loyal from 4 orders over 180 days, variation at most 0.5)'],
      leo: ['loyal', '25 engagement events in the last 90 days and 2 orders (loyal from 20 events and 2 orders)'],
      nina: ['need_based', '3 orders every 60 days on average (variation 0), 3 of 3 at full price, 3 of 3 including coffee'],
      uma: ['unknown', '1 order: at least 2 are needed to tell how the customer buys'],
      zed: ['unknown', '0 orders: at least 2 are needed to tell how the customer buys'],
      ugo: ['unknown', '3 orders, no rule matched: 0 of 3 with a discount or on sale, 0 impulse purchases, every 100 days on average over 200 days (variation 0.95), 0 engagement events in the last 90 days'],
    });
    for (const t of Object.values(got)) expect(new Date(t!.setAt!).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(got.dina!.figures).toMatchObject({ orders: 5, dealOrders: 4 });
    expect(got.nina!.figures).toMatchObject({ orders: 3, topProductType: 'coffee', sameProductTypeOrders: 3, meanIntervalDays: 60, intervalVariation: 0 });
    expect(await typology.distribution(ws)).toEqual({ total: 9, counts: { need_based: 1, deal_based: 1, impulsive: 2, loyal: 2, unknown: 3, unclassified: 0 } });
  });

  it('gives accounts no typology, and takes it from a profile merged away', async () => {
    const ws = await seeded(['uma']);
    await ingest.ingest(ws, [
      { source: 'crm', externalId: 'acme', kind: 'account', identities: [{ type: 'domain', value: 'acme.example' }], traits: { name: 'Acme' }, observedAt: new Date().toISOString() },
      { ...person('uma-phone', [order(ago(3, 60))]), identities: [{ type: 'phone', value: '+14155550199' }] },
    ]);
    const [account] = await core.db.dataSource.query(`SELECT typology, typology_reason FROM profiles WHERE workspace_id = $1 AND kind = 'account'`, [ws]);
    expect(account).toEqual({ typology: null, typology_reason: null });
    // The two profiles of uma merge: the survivor has both orders; the one merged away has no typology.
    await ingest.ingest(ws, [{ ...person('uma', []), identities: [{ type: 'email', value: 'uma@example.org' }, { type: 'phone', value: '+14155550199' }] }]);
    const [loser] = await core.db.dataSource.query(`SELECT typology, typology_reason, typology_set_at FROM profiles WHERE workspace_id = $1 AND merged_into IS NOT NULL`, [ws]);
    expect(loser).toEqual({ typology: null, typology_reason: null, typology_set_at: null });
    expect((await typologyOf(ws, 'uma'))).toMatchObject({ value: 'impulsive', reason: expect.stringMatching(/^2 of 2 orders were impulse purchases/) });
  });

  it('applies the workspace\'s own thresholds and precedence, and leaves other workspaces on theirs', async () => {
    const names = ['dina', 'lia', 'nina', 'uma'];
    const [a, b] = [await seeded(names), await seeded(names)];
    // One order with a discount of six makes lia deal-based from a sixth on; a lower minimum makes uma classifiable.
    const changed = await typology.replaceSettings(a, { minOrders: 1, dealBased: { minDealShare: 0.9 }, loyal: { minSpanDays: 250 }, needBased: { minOrders: 2 } });
    expect(changed.own).toEqual({ minOrders: 1, dealBased: { minDealShare: 0.9 }, loyal: { minSpanDays: 250 }, needBased: { minOrders: 2 } });
    expect(changed.settings).toMatchObject({ minOrders: 1, dealBased: { minDealShare: 0.9 }, loyal: { minOrders: 4, minSpanDays: 250 }, needBased: { minOrders: 2, maxDealShare: 0.2 } });
    expect(changed.run).toMatchObject({ kind: 'full', evaluated: 4, changed: 2 });
    expect(await valuesOf(a, names)).toEqual({ dina: 'unknown', lia: 'unknown', nina: 'need_based', uma: 'unknown' });
    expect((await typologyOf(a, 'dina'))!.reason).toBe(
      '5 orders, no rule matched: 4 of 5 with a discount or on sale, 0 impulse purchases, every 10 days on average over 40 days (variation 0), 0 engagement events in the last 90 days',
    );
    expect((await typologyOf(a, 'uma'))!.reason).toMatch(/^1 orders, no rule matched/);
    expect(await valuesOf(b, names)).toEqual({ dina: 'deal_based', lia: 'loyal', nina: 'need_based', uma: 'unknown' });

    // Precedence: nina is both need-based and (with a low span) loyal; the first listed wins.
    await typology.replaceSettings(b, { loyal: { minOrders: 3, minSpanDays: 100 } });
    expect((await typologyOf(b, 'nina'))!.value).toBe('loyal');
    await typology.replaceSettings(b, { loyal: { minOrders: 3, minSpanDays: 100 }, precedence: ['need_based', 'deal_based', 'impulsive', 'loyal'] });
    expect((await typologyOf(b, 'nina'))!.value).toBe('need_based');
  });

  it('refuses invalid thresholds field by field and keeps the stored ones', async () => {
    const ws = await seeded(['dina']);
    await typology.replaceSettings(ws, { dealBased: { minDealShare: 0.6 } });
    const refused = await typology
      .replaceSettings(ws, { minOrders: 0, precedence: ['loyal', 'loyal', 'impulsive', 'deal_based'], dealBased: { minDealShare: 2 }, loyal: { engagementEvents: ['Email Opened'] }, mood: 'happy' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TypologyException);
    expect((refused as TypologyException).code).toBe('INVALID_TYPOLOGY_SETTINGS');
    expect((refused as TypologyException).errors.map((e) => e.field).sort()).toEqual(['(body)', 'dealBased.minDealShare', 'loyal.engagementEvents.0', 'minOrders', 'precedence']);
    expect((await typology.settings(ws)).own).toEqual({ dealBased: { minDealShare: 0.6 } });
  });

  it('keeps the time a typology was set while only its figures move, and sets it again when the typology changes', async () => {
    const ws = await seeded(['nina']);
    const first = (await typologyOf(ws, 'nina'))!;
    await ingest.ingest(ws, [person('nina', [coffee(ago(95))])]);
    const second = (await typologyOf(ws, 'nina'))!;
    expect([second.value, second.reason, second.setAt]).toEqual(['need_based', '4 orders every 40 days on average (variation 0.35), 4 of 4 at full price, 4 of 4 including coffee', first.setAt]);
    // A fifth order 60 days before the first: 180 days of regular orders make her loyal.
    await ingest.ingest(ws, [person('nina', [coffee(ago(185))])]);
    const third = (await typologyOf(ws, 'nina'))!;
    expect(third.value).toBe('loyal');
    expect(new Date(third.setAt!).getTime()).toBeGreaterThan(new Date(first.setAt!).getTime());
  });

  it('is read by segments, the profile list and personas in the same fan-out as the ingest', async () => {
    const ws = await core.workspace();
    const segments = core.app.get(SegmentsService);
    const loyal = await segments.create(ws, { name: 'Loyal', definition: { typology: 'loyal' } });
    const hunters = await core.app.get(PersonasService).create(ws, { name: 'Deal hunter', rules: [{ condition: { typology: 'deal_based' }, weight: 1 }] });
    await ingest.ingest(ws, ['lia', 'dina', 'uma'].map((name) => person(name, HISTORIES[name]!())));
    const [lia, dina] = [await idOf(ws, 'lia'), await idOf(ws, 'dina')];
    expect((await segments.members(ws, loyal.id)).data.map((m) => m.profileId)).toEqual([lia]);
    expect((await core.app.get(ProfileListingService).list(ws, { typology: 'loyal' })).data.map((p) => p.id)).toEqual([lia]);
    expect((await profiles.get(ws, dina)).personaId).toBe(hunters.id);
  });

  it('publishes a change from a recompute: segments follow and each changed profile is a profile.updated webhook event', async () => {
    const ws = await seeded(['lia', 'nina']);
    const segments = core.app.get(SegmentsService);
    const loyal = await segments.create(ws, { name: 'Loyal', definition: { typology: 'loyal' } });
    await core.app.get(SegmentMembershipService).recompute(ws, loyal.id);
    const subscription = await core.app.get(WebhooksService).create(ws, { url: 'http://127.0.0.1:9/hooks', events: ['profile.updated'] });
    const lia = await idOf(ws, 'lia');
    expect((await segments.members(ws, loyal.id)).data.map((m) => m.profileId)).toEqual([lia]);

    // Nothing changed: nothing to tell.
    expect((await typology.recompute(ws)).run).toMatchObject({ evaluated: 2, changed: 0 });
    const deliveries = async () =>
      ((await core.db.dataSource.query(`SELECT payload FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`, [subscription.id])) as { payload: { type: string; data: { profileId: string } } }[]).map(
        (d) => [d.payload.type, d.payload.data.profileId],
      );
    expect(await deliveries()).toEqual([]);

    await typology.replaceSettings(ws, { loyal: { minSpanDays: 250 } });
    expect(await typologyOf(ws, 'lia')).toMatchObject({ value: 'unknown' });
    expect(await deliveries()).toEqual([['profile.updated', lia]]);
    expect((await segments.members(ws, loyal.id)).data).toEqual([]);
  });

  it('classifies a whole workspace in batches with the scheduled run', async () => {
    const ws = await seeded();
    await core.db.dataSource.query(`UPDATE profiles SET typology = NULL, typology_reason = NULL, typology_figures = NULL, typology_set_at = NULL WHERE workspace_id = $1`, [ws]);
    const run = await classification.reclassifyAll(ws, { kind: 'scheduled', batchSize: 2 });
    expect(run).toMatchObject({ kind: 'scheduled', evaluated: 9, changed: 9 });
    expect((await typology.distribution(ws)).counts).toEqual({ need_based: 1, deal_based: 1, impulsive: 2, loyal: 2, unknown: 3, unclassified: 0 });
  });
});
