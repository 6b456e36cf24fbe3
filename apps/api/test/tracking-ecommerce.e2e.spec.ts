import { Analytics } from '@segment/analytics-node';
import { ProfilesService } from '@portrait/core';
import { createTestApi, type TestApi } from './support/test-api.js';

/**
 * Segment's e-commerce spec v2 through the tracking API, sent by the official client: the orders a
 * store reports with `analytics.track('Order Completed', …)` count in the computed traits exactly as
 * the same orders read by the Shopify connector do.
 */
describe('Segment e-commerce events', () => {
  let api: TestApi;
  let ws: string;
  let key: string;
  let profiles: ProfilesService;

  beforeAll(async () => {
    api = await createTestApi();
    ws = await api.workspace();
    key = await api.key(ws, ['events:write', 'profiles:read']);
    profiles = api.app.get(ProfilesService);
  });
  afterAll(() => api?.close());

  /** Sends messages with @segment/analytics-node, unmodified, and waits until they are delivered. */
  const send = async (calls: (analytics: Analytics) => void) => {
    const analytics = new Analytics({ writeKey: key, host: api.base, flushAt: 50, flushInterval: 60_000, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (error) => failures.push(error));
    calls(analytics);
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(failures).toEqual([]);
    // The SDK sends no Portrait-Wait: wait until the intake log is drained into the profiles.
    await api.drained(ws);
  };
  const computedOf = async (type: string, value: string) => {
    const profile = (await profiles.findByIdentity(ws, type, value))!;
    return { id: profile.id, computed: (await profiles.get(ws, profile.id)).computed };
  };
  const shopifyOrder = (customer: string, id: string, total: string, extra: object[] = []) =>
    api.ingest(ws, [
      {
        source: 'shopify',
        externalId: `gid://shopify/Order/${id}`,
        identities: [{ type: 'shopify_customer_id', value: customer }],
        observedAt: '2026-04-02T10:00:00Z',
        events: [
          {
            type: 'order_placed',
            occurredAt: '2026-04-01T10:00:00Z',
            dedupeKey: `gid://shopify/Order/${id}`,
            properties: { order_id: `gid://shopify/Order/${id}`, total: Number(total), currency: 'EUR', discount_total: 0, discount_codes: [], line_items: [] },
          },
          ...(extra as never[]),
        ],
      },
    ]);

  it('Order Completed counts as an order: orders_count and lifetime_value as the Shopify connector gives them; the same order_id twice is one order', async () => {
    await send((a) => {
      a.track({ userId: 'buyer-1', event: 'Order Completed', timestamp: '2026-04-01T10:00:00Z', properties: { order_id: 'o-100', revenue: 42.5, currency: 'eur' } });
      a.track({
        userId: 'buyer-1',
        event: 'Order Completed',
        timestamp: '2026-04-02T10:00:00Z',
        properties: {
          order_id: 'o-101',
          total: 30.1,
          revenue: 25,
          discount: 2.5,
          coupon: 'SPRING',
          currency: 'EUR',
          products: [{ product_id: 'p-1', sku: 'SKU-1', name: 'Mug', price: 16.3, quantity: 2, category: 'Kitchen' }],
        },
      });
      // The store's retry sends the first order again, under a new messageId.
      a.track({ userId: 'buyer-1', event: 'Order Completed', timestamp: '2026-04-01T10:00:05Z', properties: { order_id: 'o-100', revenue: 42.5, currency: 'EUR' } });
    });
    const segment = await computedOf('user_id', 'buyer-1');
    expect(segment.computed).toMatchObject({ orders_count: 2, lifetime_value: 72.6, discount_order_share: 0.5, favourite_product_type: 'Kitchen' });

    const events = (await profiles.events(ws, segment.id, { type: 'order_placed' })).data;
    expect(events.map((e) => e.properties)).toEqual([
      {
        order_id: 'o-101',
        total: 30.1,
        currency: 'EUR',
        discount_total: 2.5,
        discount_codes: ['SPRING'],
        line_items: [{ product_id: 'p-1', sku: 'SKU-1', variant: null, product_type: 'Kitchen', title: 'Mug', quantity: 2, price: 16.3 }],
      },
      { order_id: 'o-100', total: 42.5, currency: 'EUR', discount_total: 0, discount_codes: [], line_items: [] },
    ]);

    await shopifyOrder('7001', '1', '42.50');
    await shopifyOrder('7001', '2', '30.10');
    const shopify = await computedOf('shopify_customer_id', '7001');
    expect(segment.computed.orders_count).toBe(shopify.computed.orders_count);
    expect(segment.computed.lifetime_value).toBe(shopify.computed.lifetime_value);
  });

  it('an order without total or revenue is worth its products (price × quantity − discount)', async () => {
    await send((a) =>
      a.track({
        userId: 'buyer-2',
        event: 'Order Completed',
        properties: { order_id: 'o-200', discount: '1.00', products: [{ sku: 'S-1', price: '9.99', quantity: 3 }, { product_id: 'p-2', price: 0.1 }] },
      }),
    );
    expect((await computedOf('user_id', 'buyer-2')).computed).toMatchObject({ orders_count: 1, lifetime_value: 29.07 });
  });

  it('Order Refunded subtracts from lifetime_value and counts a refund; Order Cancelled is recorded and, as with Shopify, changes neither', async () => {
    await send((a) => {
      a.track({ userId: 'buyer-3', event: 'Order Completed', timestamp: '2026-04-01T10:00:00Z', properties: { order_id: 'o-300', total: 100, currency: 'EUR' } });
      a.track({ userId: 'buyer-3', event: 'Order Completed', timestamp: '2026-04-01T11:00:00Z', properties: { order_id: 'o-301', total: 20, currency: 'EUR' } });
      a.track({ userId: 'buyer-3', event: 'Order Refunded', timestamp: '2026-04-03T10:00:00Z', properties: { order_id: 'o-300', total: 35.5, currency: 'EUR', products: [{ product_id: 'p-9', price: 35.5, quantity: 1 }] } });
      a.track({ userId: 'buyer-3', event: 'Order Cancelled', timestamp: '2026-04-04T10:00:00Z', properties: { order_id: 'o-301', reason: 'CUSTOMER' } });
      a.track({ userId: 'buyer-3', event: 'Order Cancelled', timestamp: '2026-04-04T10:00:01Z', properties: { order_id: 'o-301', reason: 'CUSTOMER' } });
    });
    const segment = await computedOf('user_id', 'buyer-3');

    await shopifyOrder('7003', '300', '100.00', [
      {
        type: 'order_refunded',
        occurredAt: '2026-04-03T10:00:00Z',
        dedupeKey: 'gid://shopify/Refund/1',
        properties: { order_id: 'gid://shopify/Order/300', refund_id: 'gid://shopify/Refund/1', amount: 35.5, currency: 'EUR', line_items: [] },
      },
    ]);
    await shopifyOrder('7003', '301', '20.00', [
      { type: 'order_cancelled', occurredAt: '2026-04-04T10:00:00Z', dedupeKey: 'gid://shopify/Order/301:cancelled', properties: { order_id: 'gid://shopify/Order/301', reason: 'customer' } },
    ]);
    const shopify = await computedOf('shopify_customer_id', '7003');

    expect(segment.computed).toMatchObject({ orders_count: 2, lifetime_value: 84.5, refunds_count: 1 });
    for (const trait of ['orders_count', 'lifetime_value', 'refunds_count', 'avg_order_value']) expect(segment.computed[trait]).toEqual(shopify.computed[trait]);

    const events = (await profiles.events(ws, segment.id)).data;
    expect(events.filter((e) => e.type === 'order_cancelled').map((e) => e.properties)).toEqual([{ order_id: 'o-301', reason: 'customer' }]);
    expect(events.find((e) => e.type === 'order_refunded')!.properties).toEqual({
      order_id: 'o-300',
      amount: 35.5,
      currency: 'EUR',
      line_items: [{ product_id: 'p-9', sku: null, variant: null, product_type: null, title: null, quantity: 1, amount: 35.5 }],
    });
  });

  it('browsing, cart and coupon events get Portrait names; events outside the spec stay as they are', async () => {
    await send((a) => {
      a.track({ userId: 'buyer-4', event: 'Product Viewed', properties: { product_id: 'p-1', sku: 'SKU-1', name: 'Mug', category: 'Kitchen', price: 16.3, currency: 'usd', url: 'https://shop.example/mug' } });
      a.track({ userId: 'buyer-4', event: 'Product Added', properties: { cart_id: 'c-1', product_id: 'p-1', name: 'Mug', price: 16.3, quantity: 2 } });
      a.track({ userId: 'buyer-4', event: 'Checkout Started', properties: { order_id: 'o-400', value: 32.6, currency: 'USD', products: [{ product_id: 'p-1', price: 16.3, quantity: 2 }] } });
      a.track({ userId: 'buyer-4', event: 'Coupon Applied', properties: { order_id: 'o-400', coupon_id: 'cp-1', coupon_name: 'SPRING', discount: 3 } });
      a.track({ userId: 'buyer-4', event: 'Wishlist Shared', properties: { wishlist_id: 'w-1' } });
    });
    const { id } = await computedOf('user_id', 'buyer-4');
    const byType = Object.fromEntries((await profiles.events(ws, id)).data.map((e) => [e.type, e.properties]));
    expect(byType).toEqual({
      product_viewed: { product_id: 'p-1', sku: 'SKU-1', variant: null, product_type: 'Kitchen', title: 'Mug', price: 16.3, currency: 'USD', url: 'https://shop.example/mug' },
      product_added: { product_id: 'p-1', sku: null, variant: null, product_type: null, title: 'Mug', quantity: 2, price: 16.3, currency: null, cart_id: 'c-1' },
      checkout_started: {
        order_id: 'o-400',
        value: 32.6,
        total: 32.6,
        currency: 'USD',
        discount_total: 0,
        discount_codes: [],
        line_items: [{ product_id: 'p-1', sku: null, variant: null, product_type: null, title: null, quantity: 2, price: 16.3 }],
      },
      coupon_applied: { order_id: 'o-400', coupon_id: 'cp-1', discount_code: 'SPRING', discount_total: 3 },
      wishlist_shared: { wishlist_id: 'w-1' },
    });
  });
});
