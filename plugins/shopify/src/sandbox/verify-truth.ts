import { gid, type SandboxOrder } from './shop-data.js';
import { expectedBuyers, shopTruth } from './shop-truth.js';
import type { ShopifySandbox } from './shopify-sandbox.js';

/**
 * Compares what a Portrait workspace holds after syncing the sandbox shop with the shop's own
 * records: one live profile per customer id with the customer's traits, every order, refund, return
 * and cancellation as exactly one event with the sandbox's amounts, and each buyer's computed traits
 * (lifetime value to the cent). Answers the list of differences (empty when all is equal). Used by the
 * truth tests and the bench; `query` runs SQL on Portrait's database.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows of arbitrary SQL, read by column name
export type Query = (sql: string, params: unknown[]) => Promise<Record<string, any>[]>;

export interface TruthReport {
  /** Differences, except those of `lifetime_value` and `favourite_product_type`. */
  problems: string[];
  /**
   * Differences in `lifetime_value` (orders − refunds) and `favourite_product_type` (most frequent
   * product type, by quantity): the core's default computed traits define both.
   */
  defaultTraitProblems: string[];
  /** Profiles compared trait by trait (holding exactly one customer) and buyers compared. */
  checkedProfiles: number;
  checkedBuyers: number;
}

const MAX_PROBLEMS = 20;

export async function verifyShopTruth(query: Query, workspaceId: string, sandbox: ShopifySandbox, source = 'shopify'): Promise<TruthReport> {
  const problems: string[] = [];
  const defaultTraitProblems: string[] = [];
  const problem = (text: string) => {
    const list = /: (lifetime_value|favourite_product_type) /.test(text) ? defaultTraitProblems : problems;
    if (list.length < MAX_PROBLEMS) list.push(text);
  };
  const data = sandbox.data;
  const truth = shopTruth(data);

  // Customers → live profiles.
  const idRows = await query(
    `SELECT i.value, p.id AS profile_id, p.merged_into, p.traits FROM identities i JOIN profiles p ON p.id = i.profile_id
     WHERE i.workspace_id = $1 AND i.type = 'shopify_customer_id'`,
    [workspaceId],
  );
  const profileOfCustomer = new Map<string, string>();
  const customersOfProfile = new Map<string, number>();
  const traitsOf = new Map<string, Record<string, unknown>>();
  for (const row of idRows) {
    if (row.merged_into) problem(`customer ${row.value}: its identity points at a merged-away profile`);
    profileOfCustomer.set(row.value, row.profile_id);
    customersOfProfile.set(row.profile_id, (customersOfProfile.get(row.profile_id) ?? 0) + 1);
    traitsOf.set(row.profile_id, row.traits);
  }
  if (idRows.length !== truth.customers) problem(`shopify_customer_id identities: ${idRows.length}, the shop has ${truth.customers} customers`);
  let checkedProfiles = 0;
  for (const customer of data.customers) {
    const profileId = profileOfCustomer.get(String(customer.id));
    if (!profileId) {
      problem(`customer ${customer.id} has no profile`);
      continue;
    }
    if (customersOfProfile.get(profileId) !== 1) continue; // shares a profile (family e-mail): traits come from several records
    checkedProfiles++;
    const traits = traitsOf.get(profileId)!;
    const totals = data.customerTotals(customer.id);
    const expected: Record<string, unknown> = {
      first_name: customer.firstName ?? undefined,
      last_name: customer.lastName ?? undefined,
      'shopify.amount_spent': Number(totals.amountSpent),
      'shopify.number_of_orders': totals.numberOfOrders,
      'shopify.state': customer.state.toLowerCase(),
      'shopify.tags': customer.tags,
      city: customer.address?.city,
      country: customer.address?.countryCode,
      postal_code: customer.address?.zip,
    };
    for (const [key, value] of Object.entries(expected)) {
      if (value === undefined) continue;
      if (JSON.stringify(traits[key]) !== JSON.stringify(value)) problem(`customer ${customer.id}: trait ${key} is ${JSON.stringify(traits[key])}, the shop says ${JSON.stringify(value)}`);
    }
  }

  // Events: one per order, refund, return and cancellation, with the shop's amounts.
  const counts = await query(
    `SELECT type, count(*)::int AS n, count(DISTINCT dedupe_key)::int AS keys,
            coalesce(sum(round(((properties->>'total')::numeric) * 100)), 0)::bigint AS total_cents,
            coalesce(sum(round(((properties->>'amount')::numeric) * 100)), 0)::bigint AS amount_cents
     FROM events WHERE workspace_id = $1 AND source = $2 GROUP BY type`,
    [workspaceId, source],
  );
  const byType = new Map(counts.map((r) => [r.type as string, r]));
  const expectCount = (type: string, n: number) => {
    const row = byType.get(type);
    if ((row?.n ?? 0) !== n || (row?.keys ?? 0) !== n) problem(`${type} events: ${row?.n ?? 0} (${row?.keys ?? 0} distinct), the shop has ${n}`);
  };
  expectCount('order_placed', truth.orders);
  expectCount('order_refunded', truth.refunds);
  expectCount('order_returned', truth.returns);
  expectCount('order_cancelled', truth.cancellations);
  if (Number(byType.get('order_placed')?.total_cents ?? 0) !== truth.orderTotalCents) {
    problem(`order totals: ${byType.get('order_placed')?.total_cents} cents, the shop has ${truth.orderTotalCents}`);
  }
  if (Number(byType.get('order_refunded')?.amount_cents ?? 0) !== truth.refundTotalCents) {
    problem(`refund amounts: ${byType.get('order_refunded')?.amount_cents} cents, the shop has ${truth.refundTotalCents}`);
  }

  // Buyers: the profile each order landed on, and its computed traits.
  const placed = await query(
    `SELECT e.dedupe_key, coalesce(p.merged_into, p.id) AS profile_id FROM events e JOIN profiles p ON p.id = e.profile_id
     WHERE e.workspace_id = $1 AND e.source = $2 AND e.type = 'order_placed'`,
    [workspaceId, source],
  );
  const profileOfOrder = new Map(placed.map((r) => [r.dedupe_key as string, r.profile_id as string]));
  const orders: SandboxOrder[] = [];
  for (const order of data.orders) {
    const landed = profileOfOrder.get(gid('Order', order.id));
    if (!landed) continue; // counted above
    if (order.customerId !== null && profileOfCustomer.get(String(order.customerId)) !== landed) {
      problem(`order ${order.id} landed on another profile than its customer ${order.customerId}`);
    }
    orders.push(order);
  }
  const buyers = expectedBuyers(orders, (o) => profileOfOrder.get(gid('Order', o.id))!);
  const computedRows = await query(`SELECT id, computed FROM profiles WHERE workspace_id = $1 AND id = ANY($2::uuid[])`, [workspaceId, [...buyers.keys()]]);
  const computedOf = new Map(computedRows.map((r) => [r.id as string, r.computed as Record<string, unknown>]));
  for (const [profileId, expected] of buyers) {
    const computed = computedOf.get(profileId) ?? {};
    const ltv = Math.round(Number(computed.lifetime_value) * 100);
    if (ltv !== expected.lifetimeValueCents) problem(`profile ${profileId}: lifetime_value ${String(computed.lifetime_value)}, the shop's orders − refunds = ${expected.lifetimeValueCents / 100}`);
    if (Number(computed.orders_count) !== expected.ordersCount) problem(`profile ${profileId}: orders_count ${String(computed.orders_count)}, expected ${expected.ordersCount}`);
    if (Math.abs(Number(computed.avg_order_value) - expected.avgOrderValue) > 0.00011) problem(`profile ${profileId}: avg_order_value ${String(computed.avg_order_value)}, expected ${expected.avgOrderValue}`);
    if (Date.parse(String(computed.first_order_at)) !== Date.parse(expected.firstOrderAt)) problem(`profile ${profileId}: first_order_at ${String(computed.first_order_at)}, expected ${expected.firstOrderAt}`);
    if (Date.parse(String(computed.last_order_at)) !== Date.parse(expected.lastOrderAt)) problem(`profile ${profileId}: last_order_at ${String(computed.last_order_at)}, expected ${expected.lastOrderAt}`);
    if (Number(computed.refunds_count ?? 0) !== expected.refundsCount) problem(`profile ${profileId}: refunds_count ${String(computed.refunds_count)}, expected ${expected.refundsCount}`);
    if (Math.abs(Number(computed.discount_order_share) - expected.discountOrderShare) > 0.00011) problem(`profile ${profileId}: discount_order_share ${String(computed.discount_order_share)}, expected ${expected.discountOrderShare}`);
    if (expected.favouriteProductType !== undefined && computed.favourite_product_type !== expected.favouriteProductType) {
      problem(`profile ${profileId}: favourite_product_type ${String(computed.favourite_product_type)}, expected ${expected.favouriteProductType}`);
    }
  }
  return { problems, defaultTraitProblems, checkedProfiles, checkedBuyers: buyers.size };
}
