import type { ProfileFactInput } from '@portrait/connector-sdk';
import { IngestService } from '../../src/modules/ingest/ingest.service.js';
import { ProfileSettingsService } from '../../src/modules/profiles/profile-settings.service.js';
import { computedTraitDefinitionSchema } from '../../src/modules/traits/computed-trait.definition.js';
import { createTestCore, type TestCore } from '../../src/testing/index.js';

const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();

type LineItem = { product_type?: unknown; quantity?: unknown };

const order = (id: string, d: number, total: number, lineItems?: LineItem[]) => ({
  type: 'order_placed',
  occurredAt: day(d),
  properties: { order_id: id, total, ...(lineItems ? { line_items: lineItems } : {}) },
  dedupeKey: `order-${id}`,
});
const refund = (id: string, d: number, amount: number) => ({ type: 'order_refunded', occurredAt: day(d), properties: { order_id: id, amount }, dedupeKey: `refund-${id}-${d}` });

describe('computed traits', () => {
  let core: TestCore;
  let ingest: IngestService;

  beforeAll(async () => {
    core = await createTestCore();
    ingest = core.app.get(IngestService);
  });
  afterAll(() => core?.close());

  /** Ingests one person with these events; answers their `computed` as stored, each value as its exact JSON text. */
  async function computedOf(ws: string, events: ProfileFactInput['events'], who = 'buyer'): Promise<Record<string, string>> {
    await ingest.ingest(ws, [{ source: 'shop', externalId: who, identities: [{ type: 'email', value: `${who}@x.io` }], events, observedAt: day(28) }]);
    const [row] = await core.db.dataSource.query(
      `SELECT jsonb_object_agg(c.key, c.value::text) AS computed
       FROM identities i JOIN profiles p ON p.id = i.profile_id CROSS JOIN LATERAL jsonb_each(p.computed) c
       WHERE i.workspace_id = $1 AND i.type = 'email' AND i.value = $2`,
      [ws, `${who}@x.io`],
    );
    return row.computed ?? {};
  }

  describe('lifetime_value: order totals minus refunds', () => {
    it('subtracts the refunded amounts from the order totals', async () => {
      const ws = await core.workspace();
      const c = await computedOf(ws, [order('a', 1, 120.5), order('b', 2, 79.5), refund('a', 3, 20.25), refund('b', 4, 9.75)]);
      // 120.50 + 79.50 − 20.25 − 9.75
      expect(c.lifetime_value).toBe('170.00');
      expect(c.orders_count).toBe('2');
      expect(c.refunds_count).toBe('2');
    });

    it('is exact to the cent over many orders and refunds (numeric, never a float)', async () => {
      const ws = await core.workspace();
      const events = [
        ...Array.from({ length: 1000 }, (_, i) => order(`o${i}`, 1 + (i % 27), 19.99)),
        // 0.1 + 0.2 in binary floating point is 0.30000000000000004.
        refund('o1', 5, 0.1),
        refund('o2', 5, 0.2),
      ];
      const c = await computedOf(ws, events);
      // 1000 × 19.99 − 0.1 − 0.2
      expect(c.lifetime_value).toBe('19989.70');
      expect(Number(c.lifetime_value)).toBe(19989.7);
      expect(c.orders_count).toBe('1000');
    });

    it('is 0 without orders or refunds, and the net (negative) when only refunds are known', async () => {
      const ws = await core.workspace();
      expect((await computedOf(ws, [{ type: 'page_viewed', occurredAt: day(1), properties: { url: '/' } }], 'browser')).lifetime_value).toBe('0');
      // A refund of an order placed before the synced history: the net says what is known, unclamped.
      expect((await computedOf(ws, [refund('old', 2, 35.5)], 'refunded')).lifetime_value).toBe('-35.5');
      // Refunds larger than the orders known.
      expect((await computedOf(ws, [order('x', 1, 10), refund('x', 2, 10), refund('y', 3, 5.01)], 'over')).lifetime_value).toBe('-5.01');
    });

    it('ignores totals and amounts that are not JSON numbers', async () => {
      const ws = await core.workspace();
      const c = await computedOf(ws, [
        order('a', 1, 42.42),
        { type: 'order_placed', occurredAt: day(2), properties: { order_id: 'b', total: '99.99' }, dedupeKey: 'order-b' },
        { type: 'order_refunded', occurredAt: day(3), properties: { order_id: 'a', amount: null }, dedupeKey: 'refund-a' },
      ]);
      expect(c.lifetime_value).toBe('42.42');
    });
  });

  describe('favourite_product_type: the product type bought most, by quantity', () => {
    it('weights line items by quantity across every order', async () => {
      const ws = await core.workspace();
      const c = await computedOf(ws, [
        order('a', 1, 50, [{ product_type: 'Shoes', quantity: 1 }, { product_type: 'Socks', quantity: 3 }]),
        order('b', 2, 80, [{ product_type: 'Shoes', quantity: 1 }, { product_type: 'Hats', quantity: 1 }]),
        order('c', 3, 30, [{ product_type: 'Shoes', quantity: 1 }]),
      ]);
      // Socks 3, Shoes 1 + 1 + 1 = 3, Hats 1: Shoes and Socks tie, and "Shoes" sorts first.
      expect(c.favourite_product_type).toBe('"Shoes"');
      const more = await computedOf(ws, [order('d', 4, 10, [{ product_type: 'Socks', quantity: 2 }])]);
      expect(more.favourite_product_type).toBe('"Socks"');
    });

    it('breaks ties by byte order, whatever the order of arrival', async () => {
      const ws = await core.workspace();
      const forward = await computedOf(ws, [order('a', 1, 1, [{ product_type: 'beta', quantity: 2 }]), order('b', 2, 1, [{ product_type: 'Alpha', quantity: 2 }])], 'forward');
      const backward = await computedOf(ws, [order('c', 1, 1, [{ product_type: 'Alpha', quantity: 2 }]), order('d', 2, 1, [{ product_type: 'beta', quantity: 2 }])], 'backward');
      // Byte order: upper case before lower case.
      expect(forward.favourite_product_type).toBe('"Alpha"');
      expect(backward.favourite_product_type).toBe('"Alpha"');
    });

    it('skips items without a product type, counts a missing or non-numeric quantity once and a quantity ≤ 0 not at all', async () => {
      const ws = await core.workspace();
      const c = await computedOf(ws, [
        order('a', 1, 10, [{ quantity: 50 }, { product_type: null, quantity: 50 }, { product_type: '', quantity: 50 }, { product_type: 'Mugs', quantity: 0 }]),
        order('b', 2, 10, [{ product_type: 'Mugs', quantity: -5 }, { product_type: 'Cups' }, { product_type: 'Plates', quantity: 'two' }]),
        order('c', 3, 10, [{ product_type: 'Plates', quantity: 1 }]),
      ]);
      // Cups 1, Plates 1 + 1 = 2, Mugs nothing.
      expect(c.favourite_product_type).toBe('"Plates"');
    });

    it('is absent without orders, without line items, or with no product type at all', async () => {
      const ws = await core.workspace();
      expect(await computedOf(ws, [{ type: 'page_viewed', occurredAt: day(1), properties: { url: '/' } }], 'nobody')).not.toHaveProperty('favourite_product_type');
      expect(await computedOf(ws, [order('a', 1, 10)], 'no-items')).not.toHaveProperty('favourite_product_type');
      const c = await computedOf(ws, [order('b', 1, 10, [{ quantity: 3 }]), { type: 'order_placed', occurredAt: day(2), properties: { line_items: 'not a list' }, dedupeKey: 'x' }], 'untyped');
      expect(c).not.toHaveProperty('favourite_product_type');
      expect(c.orders_count).toBe('2');
    });
  });

  it('takes workspace definitions of the new forms: minus with filters, a mode over the events themselves', async () => {
    const ws = await core.workspace();
    await core.app.get(ProfileSettingsService).update(ws, {
      computedTraits: [
        {
          key: 'net_full_price_revenue',
          aggregation: 'sum',
          event: 'order_placed',
          property: 'total',
          where: [{ property: 'discounted', op: 'neq', value: 'yes' }],
          minus: { event: 'order_refunded', property: 'amount', where: [{ property: 'reason', op: 'eq', value: 'damaged' }] },
        },
        { key: 'usual_channel', aggregation: 'mode', event: 'session_started', property: 'channel' },
      ],
    });
    const c = await computedOf(ws, [
      { type: 'order_placed', occurredAt: day(1), properties: { order_id: 'a', total: 100.1, discounted: 'no' }, dedupeKey: 'order-a' },
      { type: 'order_placed', occurredAt: day(2), properties: { order_id: 'b', total: 50, discounted: 'yes' }, dedupeKey: 'order-b' },
      { type: 'order_refunded', occurredAt: day(3), properties: { order_id: 'a', amount: 10.05, reason: 'damaged' }, dedupeKey: 'r1' },
      { type: 'order_refunded', occurredAt: day(4), properties: { order_id: 'a', amount: 20, reason: 'changed mind' }, dedupeKey: 'r2' },
      ...['web', 'app', 'web', 'email', 'app', 'web'].map((channel, i) => ({ type: 'session_started', occurredAt: day(5 + i), properties: { channel }, dedupeKey: `s${i}` })),
    ]);
    expect(c.net_full_price_revenue).toBe('90.05');
    expect(c.usual_channel).toBe('"web"');
    // The defaults stay beside them.
    // 100.10 + 50 − 10.05 − 20
    expect(c.lifetime_value).toBe('120.05');
  });

  it('derives the e-mail defaults from campaign events: latest open and click, the link clicked, clicks per send, a ratio with a filter', async () => {
    const ws = await core.workspace();
    await core.app.get(ProfileSettingsService).update(ws, {
      computedTraits: [{ key: 'hard_bounces_per_send', aggregation: 'ratio', event: 'email_bounced', where: [{ property: 'bounce_type', op: 'eq', value: 'hard' }], per: { event: 'email_sent' } }],
    });
    const email = (type: string, d: number, properties: Record<string, string> = {}) => ({ type, occurredAt: day(d), properties: { campaign_id: `c${d}`, ...properties }, dedupeKey: `${type}-${d}` });
    const c = await computedOf(
      ws,
      [
        email('email_sent', 1),
        email('email_sent', 2),
        email('email_sent', 3),
        email('email_opened', 4),
        email('email_clicked', 5, { url: 'https://shop.example/a' }),
        email('email_clicked', 6, { url: 'https://shop.example/b' }),
        email('email_bounced', 7, { bounce_type: 'hard' }),
        email('email_bounced', 8, { bounce_type: 'soft' }),
      ],
      'reader',
    );
    expect(JSON.parse(c.last_email_open_at!)).toBe(day(4));
    expect(JSON.parse(c.last_email_click_at!)).toBe(day(6));
    expect(c.last_clicked_link).toBe('"https://shop.example/b"');
    // 2 clicks / 3 sends; 1 hard bounce / 3 sends.
    expect(c.email_clicks_per_send).toBe('0.6667');
    expect(c.hard_bounces_per_send).toBe('0.3333');
    // Without a send, a ratio is absent rather than a division by zero.
    const none = await computedOf(ws, [email('email_opened', 9)], 'opener');
    expect(none).not.toHaveProperty('email_clicks_per_send');
    expect(none).not.toHaveProperty('email_open_rate_90d');
  });

  it('refuses malformed definitions with field-level messages', () => {
    const issues = (input: unknown) => {
      const parsed = computedTraitDefinitionSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ key: 'x', aggregation: 'count', event: 'order_placed', minus: { event: 'order_refunded', property: 'amount' } })).toEqual(['minus: minus applies to sum only, not to count']);
    expect(issues({ key: 'x', aggregation: 'sum', event: 'order_placed', property: 'total', minus: { event: 'Order Refunded', property: '' } })).toEqual([
      'minus.event: must be lower snake case, e.g. order_refunded',
      'minus.property: must not be empty',
    ]);
    expect(issues({ key: 'x', aggregation: 'sum', event: 'order_placed', property: 'total', minus: { event: 'order_refunded', property: 'amount', where: [{ property: 'reason', op: 'eq' }] } })).toEqual([
      'minus.where.0.value: eq needs a value',
    ]);
    expect(issues({ key: 'x', aggregation: 'mode', event: 'order_placed', items: 'line_items' })).toEqual(['property: mode needs the property whose most frequent value it finds']);
    expect(issues({ key: 'x', aggregation: 'max', event: 'order_placed', property: 'total', items: 'line_items', weight: 'quantity' })).toEqual([
      'items: items applies to mode only, not to max',
      'weight: weight applies to mode only, not to max',
    ]);
    expect(issues({ key: 'x', aggregation: 'ratio', event: 'email_opened' })).toEqual(['per: ratio needs per: the event type it divides by']);
    expect(issues({ key: 'x', aggregation: 'count', event: 'email_opened', per: { event: 'email_sent' } })).toEqual(['per: per applies to ratio only, not to count']);
  });
});
