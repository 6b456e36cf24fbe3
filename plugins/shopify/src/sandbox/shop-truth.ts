import type { ShopData, SandboxOrder } from './shop-data.js';
import { gid } from './shop-data.js';

/**
 * What a full sync of the sandbox shop must end with, computed from the sandbox's own records:
 * events per type and the computed traits of each buyer, money in cents. Tests and the bench compare
 * Portrait's database against it. `ownerOf` says which profile an order belongs to (the profile that
 * holds its customer id, or for a guest the one its event landed on); the values are the sandbox's.
 */

export interface ExpectedBuyer {
  orderIds: string[];
  lifetimeValueCents: number;
  ordersCount: number;
  avgOrderValue: number;
  firstOrderAt: string;
  lastOrderAt: string;
  refundsCount: number;
  discountOrderShare: number;
  favouriteProductType: string | undefined;
}

export interface ShopTruth {
  customers: number;
  orders: number;
  refunds: number;
  returns: number;
  cancellations: number;
  orderTotalCents: number;
  refundTotalCents: number;
}

const cents = (amount: string) => Math.round(Number(amount) * 100);

export function shopTruth(data: ShopData, visible: (o: SandboxOrder) => boolean = () => true): ShopTruth {
  const orders = data.orders.filter(visible);
  return {
    customers: data.customers.length,
    orders: orders.length,
    refunds: orders.reduce((n, o) => n + o.refunds.length, 0),
    returns: orders.reduce((n, o) => n + o.returns.length, 0),
    cancellations: orders.filter((o) => o.cancelledAt).length,
    orderTotalCents: orders.reduce((n, o) => n + cents(o.total), 0),
    refundTotalCents: orders.reduce((n, o) => n + o.refunds.reduce((m, r) => m + cents(r.amount), 0), 0),
  };
}

/** Expected computed traits per owner (profile id), from the orders `ownerOf` assigns to it. */
export function expectedBuyers(orders: readonly SandboxOrder[], ownerOf: (order: SandboxOrder) => string): Map<string, ExpectedBuyer> {
  const grouped = new Map<string, SandboxOrder[]>();
  for (const order of orders) {
    const owner = ownerOf(order);
    const list = grouped.get(owner) ?? [];
    list.push(order);
    grouped.set(owner, list);
  }
  const result = new Map<string, ExpectedBuyer>();
  for (const [owner, list] of grouped) {
    const totals = list.map((o) => cents(o.total));
    const placed = list.map((o) => o.processedAt).sort();
    const types = new Map<string, number>();
    for (const order of list) for (const li of order.lineItems) types.set(li.productType, (types.get(li.productType) ?? 0) + li.quantity);
    const top = Math.max(...types.values());
    const favourites = [...types.entries()].filter(([, n]) => n === top).map(([t]) => t);
    const sum = totals.reduce((a, b) => a + b, 0);
    result.set(owner, {
      orderIds: list.map((o) => gid('Order', o.id)),
      lifetimeValueCents: sum - list.reduce((n, o) => n + o.refunds.reduce((m, r) => m + cents(r.amount), 0), 0),
      ordersCount: list.length,
      avgOrderValue: Math.round((sum / list.length / 100) * 10_000) / 10_000,
      firstOrderAt: placed[0]!,
      lastOrderAt: placed.at(-1)!,
      refundsCount: list.reduce((n, o) => n + o.refunds.length, 0),
      discountOrderShare: Math.round((list.filter((o) => cents(o.discount) > 0).length / list.length) * 10_000) / 10_000,
      // A tie has no single answer: undefined means "any of the tied types".
      favouriteProductType: favourites.length === 1 ? favourites[0] : undefined,
    });
  }
  return result;
}
