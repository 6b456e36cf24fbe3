import { drawChannel, generatePopulation, seededRandom, type ChannelRecord, type Population } from '@portrait/testkit';

/**
 * The sandbox shop's records, drawn from the shared seeded population: customers (with the channel's
 * mess: case, spaces, phone formats, family e-mails), guest orders from people without an account,
 * refunds and returns. Records are replaced, never edited in place, so a bulk operation's snapshot
 * (the arrays it captured) stays what it was when the operation started.
 */

export interface SandboxMoney {
  amount: string;
  currencyCode: string;
}

export interface SandboxCustomer {
  id: number;
  personId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  state: 'DECLINED' | 'DISABLED' | 'ENABLED' | 'INVITED';
  tags: string[];
  verifiedEmail: boolean;
  createdAt: string;
  updatedAt: string;
  note: string | null;
  address: { id: number; city: string; province: string | null; provinceCode: string | null; country: string; countryCode: string; zip: string } | null;
  emailConsent: { state: 'NOT_SUBSCRIBED' | 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'PENDING'; optInLevel: 'SINGLE_OPT_IN' | 'CONFIRMED_OPT_IN' | 'UNKNOWN'; updatedAt: string | null } | null;
  smsConsent: { state: 'NOT_SUBSCRIBED' | 'SUBSCRIBED' | 'UNSUBSCRIBED' | 'PENDING'; optInLevel: 'SINGLE_OPT_IN' | 'CONFIRMED_OPT_IN' | 'UNKNOWN'; updatedAt: string | null } | null;
}

export interface SandboxLineItem {
  id: number;
  title: string;
  quantity: number;
  /** Unit price, 2 decimals. */
  price: string;
  productId: number;
  productType: string;
  variantId: number;
  sku: string;
}

export interface SandboxRefund {
  id: number;
  createdAt: string;
  /** Total refunded, 2 decimals. */
  amount: string;
  lineItems: { id: number; lineItemId: number; quantity: number; subtotal: string }[];
}

export interface SandboxReturn {
  id: number;
  name: string;
  status: 'OPEN' | 'CLOSED' | 'REQUESTED' | 'DECLINED' | 'CANCELED';
  createdAt: string;
  totalQuantity: number;
}

export interface SandboxOrder {
  id: number;
  number: number;
  customerId: number | null;
  /** The person the order truly belongs to (guests included). */
  personId: string;
  email: string | null;
  phone: string | null;
  createdAt: string;
  processedAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  cancelReason: 'CUSTOMER' | 'DECLINED' | 'FRAUD' | 'INVENTORY' | 'OTHER' | 'STAFF' | null;
  subtotal: string;
  discount: string;
  total: string;
  discountCodes: string[];
  financialStatus: 'PAID' | 'PARTIALLY_REFUNDED' | 'REFUNDED' | 'PENDING' | 'VOIDED';
  fulfillmentStatus: 'FULFILLED' | 'UNFULFILLED' | 'PARTIALLY_FULFILLED';
  lineItems: SandboxLineItem[];
  refunds: SandboxRefund[];
  returns: SandboxReturn[];
}

export const SHOP_CURRENCY = 'USD';

const PRODUCTS = [
  { title: 'Linen shirt', type: 'Shirts', price: 49.9 },
  { title: 'Denim jacket', type: 'Jackets', price: 119 },
  { title: 'Wool socks (3 pack)', type: 'Socks', price: 14.5 },
  { title: 'Canvas sneakers', type: 'Shoes', price: 69.95 },
  { title: 'Leather belt', type: 'Accessories', price: 35 },
  { title: 'Rain coat', type: 'Jackets', price: 149.99 },
  { title: 'Cotton tee', type: 'Shirts', price: 19.99 },
  { title: 'Beanie', type: 'Accessories', price: 22.25 },
  { title: 'Trail boots', type: 'Shoes', price: 159 },
  { title: 'Gift card', type: 'Gift cards', price: 50 },
];
const DISCOUNT_CODES = ['WELCOME10', 'SUMMER15', 'VIP20'];
const TAGS = ['vip', 'newsletter', 'wholesale', 'returning', 'instagram'];
const PROVINCES: Record<string, [string, string][]> = {
  US: [['California', 'CA'], ['New York', 'NY'], ['Texas', 'TX']],
  BR: [['São Paulo', 'SP'], ['Rio de Janeiro', 'RJ']],
  FR: [],
  GB: [],
};

export interface ShopDataOptions {
  /** Population seed (the demo uses the CSV demo's, so both channels meet on the same people). */
  seed: number;
  customers: number;
  orders: number;
  /** An existing population to draw from instead of generating one for `seed`. */
  population?: Population;
  /** Line items per order, drawn uniformly in [min, max] (default [1, 4]). */
  lineItems?: [number, number];
}

const cents = (n: number) => Math.round(n * 100);
const money = (c: number) => (c / 100).toFixed(2);

/** A monotonic clock of the shop: every change gets a later `updatedAt` (one second apart). */
export class ShopClock {
  private current: number;
  constructor(start: string) {
    this.current = Date.parse(start);
  }
  now(): string {
    return new Date(this.current).toISOString();
  }
  tick(): string {
    this.current += 1000;
    return this.now();
  }
}

export class ShopData {
  customers: SandboxCustomer[] = [];
  orders: SandboxOrder[] = [];
  readonly customersById = new Map<number, number>();
  readonly ordersById = new Map<number, number>();
  readonly clock: ShopClock;
  private readonly random: () => number;
  private readonly population: Population;
  private readonly guests: ChannelRecord[];
  private nextIds = { customer: 7_000_000_001, order: 5_000_000_001, lineItem: 13_000_000_001, refund: 9_000_000_001, returnId: 8_000_000_001, address: 4_000_000_001, refundLine: 11_000_000_001 };
  private orderNumber = 1001;
  private readonly lineItemRange: [number, number];

  constructor(options: ShopDataOptions) {
    this.random = seededRandom(options.seed * 7919 + 17);
    this.lineItemRange = options.lineItems ?? [1, 4];
    const wantedPeople = Math.ceil(options.customers / 0.7) + 20;
    this.population = options.population ?? generatePopulation({ seed: options.seed, people: wantedPeople, companies: Math.max(2, Math.floor(wantedPeople / 200)) });
    // Shopify validates phone numbers and serves them in E.164, and trims what is typed; e-mail case varies.
    const mess = { phoneStyles: ['e164' as const], spaces: 0 };
    const records = drawChannel(this.population, { channel: 'shopify', coverage: 0.7, recordsPerPerson: [1, 1], testAccounts: 1, mess });
    const known = new Set(records.map((r) => r.personId));
    // Guests: people the shop has no account for, who still bought (they join by e-mail or phone).
    this.guests = drawChannel(this.population, { channel: 'shopify-guest-checkout', coverage: 0.5, testAccounts: 0, mess }).filter(
      // Checkout asks guests for an e-mail here (the population's phones are not all ones Shopify would accept).
      (r) => !known.has(r.personId) && r.email,
    );
    let latest = this.population.referenceDate;
    for (const record of records.slice(0, options.customers)) {
      const customer = this.customerFrom(record);
      this.pushCustomer(customer);
      if (customer.updatedAt > latest) latest = customer.updatedAt;
    }
    // Orders, spread over customers (some more than others) with a share of guest checkouts.
    const start = Date.parse(this.population.referenceDate) - 400 * 86_400_000;
    for (let i = 0; i < options.orders; i++) {
      const createdAt = new Date(start + Math.floor((i / Math.max(1, options.orders)) * 395 * 86_400_000) + Math.floor(this.random() * 3_600_000)).toISOString();
      const order = this.orderFor(createdAt, true);
      if (order.updatedAt > latest) latest = order.updatedAt;
    }
    this.clock = new ShopClock(latest);
  }

  private pushCustomer(customer: SandboxCustomer): void {
    this.customersById.set(customer.id, this.customers.length);
    this.customers.push(customer);
  }

  private pushOrder(order: SandboxOrder): void {
    this.ordersById.set(order.id, this.orders.length);
    this.orders.push(order);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private customerFrom(record: ChannelRecord): SandboxCustomer {
    const r = this.random;
    const province = this.pick(PROVINCES[record.country] ?? [[null, null]]) ?? [null, null];
    const consentState = (): NonNullable<SandboxCustomer['emailConsent']>['state'] => (r() < 0.45 ? 'SUBSCRIBED' : r() < 0.7 ? 'NOT_SUBSCRIBED' : 'UNSUBSCRIBED');
    const emailState = consentState();
    const smsState = consentState();
    const updatedAt = record.updatedAt;
    return {
      id: this.nextIds.customer++,
      personId: record.personId,
      firstName: record.firstName,
      lastName: record.lastName,
      email: record.email ?? null,
      phone: record.phone ?? null,
      state: r() < 0.6 ? 'ENABLED' : r() < 0.8 ? 'DISABLED' : 'INVITED',
      tags: TAGS.filter(() => r() < 0.2),
      verifiedEmail: record.email !== undefined && r() < 0.9,
      createdAt: record.occurredAt,
      updatedAt,
      note: null,
      address: r() < 0.85 ? { id: this.nextIds.address++, city: record.city, province: province[0], provinceCode: province[1], country: countryName(record.country), countryCode: record.country, zip: record.postalCode } : null,
      emailConsent: record.email ? { state: emailState, optInLevel: 'SINGLE_OPT_IN', updatedAt: emailState === 'NOT_SUBSCRIBED' ? null : record.occurredAt } : null,
      smsConsent: record.phone ? { state: smsState, optInLevel: 'SINGLE_OPT_IN', updatedAt: smsState === 'NOT_SUBSCRIBED' ? null : record.occurredAt } : null,
    };
  }

  /** A new order placed at `createdAt`: by a customer (80%) or a guest, with refunds, returns and cancellations drawn. */
  orderFor(createdAt: string, history: boolean, customerIndex?: number): SandboxOrder {
    const r = this.random;
    const guest = customerIndex === undefined && (this.customers.length === 0 || r() < 0.2) && this.guests.length > 0;
    let customer: SandboxCustomer | undefined;
    let personId: string;
    let email: string | null;
    let phone: string | null;
    if (guest) {
      const g = this.pick(this.guests);
      personId = g.personId;
      email = g.email?.trim() ?? null;
      phone = email ? null : (g.phone ?? null);
    } else {
      // Skewed: a few customers order often.
      const index = customerIndex ?? Math.floor(this.customers.length * r() ** 2);
      customer = this.customers[index]!;
      personId = customer.personId;
      email = customer.email?.trim().toLowerCase() ?? null;
      phone = customer.phone;
    }
    const [minLines, maxLines] = this.lineItemRange;
    const lineCount = minLines + Math.floor(r() * (maxLines - minLines + 1));
    const lineItems: SandboxLineItem[] = [];
    for (let i = 0; i < lineCount; i++) {
      const productIndex = Math.floor(PRODUCTS.length * r() ** 1.5);
      const product = PRODUCTS[productIndex]!;
      lineItems.push({
        id: this.nextIds.lineItem++,
        title: product.title,
        quantity: 1 + Math.floor(r() * r() * 3),
        price: product.price.toFixed(2),
        productId: 8_100_000_000 + productIndex,
        productType: product.type,
        variantId: 44_100_000_000 + productIndex * 10 + Math.floor(r() * 3),
        sku: `SKU-${productIndex}`,
      });
    }
    const subtotal = lineItems.reduce((sum, li) => sum + cents(Number(li.price)) * li.quantity, 0);
    const discountCodes = r() < 0.25 ? [this.pick(DISCOUNT_CODES)] : [];
    const discount = discountCodes.length ? Math.round(subtotal * (discountCodes[0] === 'VIP20' ? 0.2 : discountCodes[0] === 'SUMMER15' ? 0.15 : 0.1)) : 0;
    const total = subtotal - discount;
    const created = Date.parse(createdAt);
    const order: SandboxOrder = {
      id: this.nextIds.order++,
      number: this.orderNumber++,
      customerId: customer?.id ?? null,
      personId,
      email,
      phone,
      createdAt,
      processedAt: createdAt,
      updatedAt: createdAt,
      cancelledAt: null,
      cancelReason: null,
      subtotal: money(subtotal),
      discount: money(discount),
      total: money(total),
      discountCodes,
      financialStatus: 'PAID',
      fulfillmentStatus: r() < 0.9 ? 'FULFILLED' : 'UNFULFILLED',
      lineItems,
      refunds: [],
      returns: [],
    };
    if (history) {
      const roll = r();
      if (roll < 0.04) {
        order.cancelledAt = new Date(created + 3_600_000).toISOString();
        order.cancelReason = 'CUSTOMER';
        order.financialStatus = 'VOIDED';
        order.fulfillmentStatus = 'UNFULFILLED';
        order.updatedAt = order.cancelledAt;
      } else if (roll < 0.16) {
        const item = lineItems[0]!;
        const full = lineItems.length === 1 && item.quantity === 1;
        const amount = full ? total : Math.min(total, Math.round(cents(Number(item.price)) * (1 - (discount ? discount / subtotal : 0))));
        const refundAt = new Date(created + (3 + Math.floor(r() * 20)) * 86_400_000).toISOString();
        order.refunds.push({ id: this.nextIds.refund++, createdAt: refundAt, amount: money(amount), lineItems: [{ id: this.nextIds.refundLine++, lineItemId: item.id, quantity: 1, subtotal: money(amount) }] });
        order.financialStatus = full ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
        order.updatedAt = refundAt;
        if (r() < 0.6) {
          const returnAt = new Date(created + 2 * 86_400_000).toISOString();
          order.returns.push({ id: this.nextIds.returnId++, name: `#${order.number}-R1`, status: 'CLOSED', createdAt: returnAt, totalQuantity: 1 });
        }
      }
    }
    this.pushOrder(order);
    if (customer) this.addToTotals(customer.id, order);
    return order;
  }

  private readonly totals = new Map<number, { spentCents: number; orders: number }>();

  /** Adds an order to its customer's totals: Shopify counts every order, and spends those not cancelled, net of refunds. */
  private addToTotals(customerId: number, order: SandboxOrder): void {
    const totals = this.totals.get(customerId) ?? { spentCents: 0, orders: 0 };
    totals.orders++;
    if (!order.cancelledAt) totals.spentCents += cents(Number(order.total)) - order.refunds.reduce((s, rf) => s + cents(Number(rf.amount)), 0);
    this.totals.set(customerId, totals);
  }

  /** `amountSpent` and `numberOfOrders` of a customer as the API reports them. */
  customerTotals(customerId: number): { amountSpent: string; numberOfOrders: number } {
    const totals = this.totals.get(customerId) ?? { spentCents: 0, orders: 0 };
    return { amountSpent: money(totals.spentCents), numberOfOrders: totals.orders };
  }

  customer(id: number): SandboxCustomer | undefined {
    const index = this.customersById.get(id);
    return index === undefined ? undefined : this.customers[index];
  }

  order(id: number): SandboxOrder | undefined {
    const index = this.ordersById.get(id);
    return index === undefined ? undefined : this.orders[index];
  }

  /** Replaces a customer (the array is copied, so snapshots keep the old one). */
  replaceCustomer(next: SandboxCustomer): void {
    const index = this.customersById.get(next.id)!;
    this.customers = this.customers.slice();
    this.customers[index] = next;
  }

  /** Changes `count` customers (spread over the list): a new tag and a changed city, with a new `updatedAt`. */
  changeCustomers(count: number): SandboxCustomer[] {
    const changed: SandboxCustomer[] = [];
    const step = Math.max(1, Math.floor(this.customers.length / Math.max(1, count)));
    this.customers = this.customers.slice();
    for (let n = 0; n < count && n * step < this.customers.length; n++) {
      const index = n * step;
      const before = this.customers[index]!;
      const next: SandboxCustomer = {
        ...before,
        tags: [...before.tags.filter((t) => t !== 'changed'), 'changed'],
        address: before.address ? { ...before.address, city: `${before.address.city} Heights` } : before.address,
        updatedAt: this.clock.tick(),
      };
      this.customers[index] = next;
      this.touched.add(next.id);
      changed.push(next);
    }
    return changed;
  }

  /** Adds `count` orders placed now (by customers and guests), without refunds. */
  addOrders(count: number): SandboxOrder[] {
    const added: SandboxOrder[] = [];
    this.orders = this.orders.slice();
    for (let i = 0; i < count; i++) {
      const order = this.orderFor(this.clock.tick(), false);
      if (order.customerId) this.touchCustomer(order.customerId, order.updatedAt);
      added.push(order);
    }
    return added;
  }

  /** Customers whose record changed (their totals included) since the last `takeTouched`. */
  private touched = new Set<number>();

  /** Shopify updates a customer's record (amount spent, number of orders, updatedAt) when their orders change. */
  private touchCustomer(id: number, at: string): void {
    const customer = this.customer(id);
    if (!customer) return;
    this.replaceCustomer({ ...customer, updatedAt: at });
    this.touched.add(id);
  }

  /** The ids of customers changed since the last call. */
  takeTouched(): number[] {
    const ids = [...this.touched];
    this.touched.clear();
    return ids;
  }

  /** Refunds an order's first line item now. */
  refund(order: SandboxOrder): SandboxOrder {
    const item = order.lineItems[0]!;
    const at = this.clock.tick();
    const amount = money(cents(Number(item.price)));
    const next: SandboxOrder = {
      ...order,
      refunds: [...order.refunds, { id: this.nextIds.refund++, createdAt: at, amount, lineItems: [{ id: this.nextIds.refundLine++, lineItemId: item.id, quantity: 1, subtotal: amount }] }],
      financialStatus: 'PARTIALLY_REFUNDED',
      updatedAt: at,
    };
    this.orders = this.orders.slice();
    this.orders[this.ordersById.get(order.id)!] = next;
    if (order.customerId) {
      const totals = this.totals.get(order.customerId)!;
      totals.spentCents -= cents(Number(amount));
      this.touchCustomer(order.customerId, at);
    }
    return next;
  }

  /** Removes a customer (after `customers/redact`, or a deletion in the admin). */
  deleteCustomer(id: number): void {
    const index = this.customersById.get(id);
    if (index === undefined) return;
    this.customers = this.customers.filter((c) => c.id !== id);
    this.customersById.clear();
    this.customers.forEach((c, i) => this.customersById.set(c.id, i));
  }
}

function countryName(code: string): string {
  return ({ US: 'United States', BR: 'Brazil', FR: 'France', GB: 'United Kingdom', PT: 'Portugal' } as Record<string, string>)[code] ?? code;
}

export const gid = (type: string, id: number | string) => `gid://shopify/${type}/${id}`;
