import { createConnectorContext } from '@portrait/connector-sdk';
import { SourcesService, SyncService } from '@portrait/core';
import { createTestCore, startedRun, type TestCore } from '@portrait/core/testing';
import connector from '../src/index.js';
import { ShopifySandbox } from '../src/sandbox/index.js';
import { shopifyConfigSchema } from '../src/shopify.config.js';
import { sandboxConfig } from './sandbox-config.js';

describe('Shopify webhooks', () => {
  let core: TestCore;
  let sandbox: ShopifySandbox;
  let sync: SyncService;
  let workspaceId: string;
  let sourceId: string;
  const q = (sql: string, params: unknown[] = [workspaceId]) => core.db.dataSource.query(sql, params);
  const stored = async () => ({
    events: (await q(`SELECT count(*)::int AS n FROM events WHERE workspace_id = $1`))[0].n,
    records: await q(`SELECT external_id, traits FROM source_records WHERE workspace_id = $1 ORDER BY external_id`),
    changes: (await q(`SELECT count(*)::int AS n FROM trait_changes WHERE workspace_id = $1`))[0].n,
  });
  const traitsOfCustomer = async (id: number) =>
    (await q(`SELECT p.traits FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE i.workspace_id = $1 AND i.type = 'shopify_customer_id' AND i.value = $2`, [workspaceId, String(id)]))[0]
      ?.traits as Record<string, unknown> | undefined;

  beforeAll(async () => {
    core = await createTestCore({ env: { PORTRAIT_SECRET_KEY: 'w'.repeat(40) }, connectors: [connector] });
    sync = core.app.get(SyncService);
    sandbox = await ShopifySandbox.start({ shop: 'hooks-shop.myshopify.com', customers: 60, orders: 150 });
    workspaceId = await core.workspace();
    sourceId = (await core.app.get(SourcesService).create(workspaceId, { connectorId: 'shopify', name: 'Shop', config: sandboxConfig(sandbox) })).id;
    expect(startedRun(await sync.sync(sourceId)).status).toBe('succeeded');
  });
  afterAll(async () => {
    await sandbox?.close();
    await core?.close();
  });

  it('a valid customers/update delivery updates the profile', async () => {
    const [customer] = sandbox.change({ customers: 1 }).changedCustomers;
    expect((await traitsOfCustomer(customer!.id))?.['shopify.tags']).not.toContain('changed');
    const outcome = await sync.handleWebhook(sourceId, sandbox.customerWebhook('customers/update', customer!));
    expect(outcome.response).toEqual({ status: 200 });
    expect(outcome.result).toMatchObject({ received: 1, rejected: 0 });
    const traits = await traitsOfCustomer(customer!.id);
    expect(traits?.['shopify.tags']).toContain('changed');
    expect(traits?.city).toBe(customer!.address?.city);
  });

  it('refuses a delivery whose signature does not verify, and stores nothing', async () => {
    const before = await stored();
    const [customer] = sandbox.change({ customers: 1 }).changedCustomers;
    const forged = sandbox.customerWebhook('customers/update', customer!, { secret: 'shpss_not_the_app_secret' });
    await expect(sync.handleWebhook(sourceId, forged)).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });

    const [order] = sandbox.change({ orders: 1 }).orders;
    const tampered = sandbox.orderWebhook('orders/create', order!);
    tampered.rawBody = Buffer.from(tampered.rawBody.toString('utf8').replace(/"total_price":"[^"]+"/, '"total_price":"0.01"'));
    await expect(sync.handleWebhook(sourceId, tampered)).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });

    const unsigned = sandbox.orderWebhook('orders/create', order!);
    delete (unsigned.headers as Record<string, string | undefined>)['x-shopify-hmac-sha256'];
    await expect(sync.handleWebhook(sourceId, unsigned)).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_INVALID' });
    expect(await stored()).toEqual(before);
  });

  it('orders/create adds the order once: a redelivery of the same webhook id adds nothing', async () => {
    const [order] = sandbox.change({ orders: 1 }).orders;
    const delivery = sandbox.orderWebhook('orders/create', order!, { webhookId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' });
    const before = await stored();
    const first = await sync.handleWebhook(sourceId, delivery);
    expect(first.result).toMatchObject({ received: 1, eventsInserted: 1 });
    const after = await stored();
    expect(after.events).toBe(before.events + 1);
    const again = await sync.handleWebhook(sourceId, sandbox.orderWebhook('orders/create', order!, { webhookId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043' }));
    expect(again.result).toMatchObject({ received: 1, eventsInserted: 0, eventsDeduplicated: 1 });
    expect(await stored()).toEqual(after);
    const [placed] = await q(`SELECT properties FROM events WHERE workspace_id = $1 AND dedupe_key = $2`, [workspaceId, `gid://shopify/Order/${order!.id}`]);
    expect(placed.properties).toMatchObject({ total: Number(order!.total), currency: 'USD', line_items: expect.arrayContaining([expect.objectContaining({ product_type: order!.lineItems[0]!.productType })]) });
  });

  it('refunds/create adds the refund as order_refunded with its amount', async () => {
    const order = sandbox.data.orders.find((o) => o.customerId !== null && o.refunds.length === 0 && !o.cancelledAt)!;
    const refunded = sandbox.data.refund(order);
    const outcome = await sync.handleWebhook(sourceId, sandbox.refundWebhook(refunded));
    expect(outcome.result).toMatchObject({ eventsInserted: 1 });
    const [event] = await q(`SELECT type, properties FROM events WHERE workspace_id = $1 AND dedupe_key = $2`, [workspaceId, `gid://shopify/Refund/${refunded.refunds.at(-1)!.id}`]);
    expect(event).toMatchObject({ type: 'order_refunded', properties: { amount: Number(refunded.refunds.at(-1)!.amount), order_id: `gid://shopify/Order/${order.id}` } });
  });

  it('customers/redact and customers/data_request become erase and export requests for the person', async () => {
    const config = shopifyConfigSchema.parse(sandboxConfig(sandbox));
    const customer = sandbox.data.customers.find((c) => c.email)!;
    const redact = await connector.parseWebhook!(sandbox.redactWebhook(customer, { webhookId: 'redact-1' }), config, createConnectorContext());
    expect(redact.facts).toEqual([]);
    expect(redact.privacyRequests).toEqual([
      { type: 'erase', identities: expect.arrayContaining([{ type: 'shopify_customer_id', value: String(customer.id) }, { type: 'email', value: customer.email!.trim() }]), reference: 'shopify customers/redact redact-1' },
    ]);
    const request = await connector.parseWebhook!(sandbox.dataRequestWebhook(customer), config, createConnectorContext());
    expect(request.privacyRequests).toEqual([{ type: 'export', identities: expect.arrayContaining([{ type: 'shopify_customer_id', value: String(customer.id) }]), reference: 'shopify data request 9999' }]);
    const shopRedact = await connector.parseWebhook!(sandbox.webhook('shop/redact', { shop_id: 60_000_001, shop_domain: sandbox.shop }), config, createConnectorContext());
    expect(shopRedact).toEqual({ facts: [], response: { status: 200 } });
  });

  it('customers/redact erases the person from Portrait (the engine carries out the privacy request)', async () => {
    const customer = sandbox.data.customers.find((c) => c.email && !c.personId.startsWith('test:'))!;
    expect(await traitsOfCustomer(customer.id)).toBeDefined();
    await sync.handleWebhook(sourceId, sandbox.redactWebhook(customer));
    expect(await traitsOfCustomer(customer.id)).toBeUndefined();
    const [{ n }] = await q(`SELECT count(*)::int AS n FROM identities WHERE workspace_id = $1 AND type = 'shopify_customer_id' AND value = $2`, [workspaceId, String(customer.id)]);
    expect(n).toBe(0);
  });
});
