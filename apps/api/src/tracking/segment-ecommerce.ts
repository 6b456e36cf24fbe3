/**
 * Segment's e-commerce spec v2 in Portrait's event vocabulary: the events the default computed
 * traits read (`order_placed`, `order_refunded`, `order_cancelled`) get the same names and property
 * shapes as the Shopify connector's, so `orders_count` and `lifetime_value` come out the same whichever
 * channel reported the order. Other e-commerce events get Portrait's property names (`name` → `title`,
 * `category` → `product_type`); events outside the spec are left as they are.
 */

/** What a Segment e-commerce event becomes: its Portrait type, its properties and, when it has one, its own deduplication key. */
export interface EcommerceEvent {
  type: string;
  properties: Record<string, unknown>;
  /** The key that makes a resent event one event (an order's id); absent: the message's id. */
  dedupeKey?: string;
}

type Mapper = (properties: Record<string, unknown>) => EcommerceEvent;

/** Segment event name → its mapping (the names as the spec writes them). */
const ECOMMERCE_EVENTS: Record<string, Mapper> = {
  'Order Completed': orderCompleted,
  'Order Refunded': orderRefunded,
  'Order Cancelled': orderCancelled,
  'Product Viewed': (p) => ({ type: 'product_viewed', properties: product(p, false) }),
  'Product Added': (p) => ({ type: 'product_added', properties: { ...product(p, true), ...(p.cart_id !== undefined ? { cart_id: p.cart_id } : {}) } }),
  'Checkout Started': checkoutStarted,
  'Coupon Applied': couponApplied,
};

/** The mapping of a Segment event name, or undefined for events outside the e-commerce spec. */
export function ecommerceEventOf(name: string, properties: Record<string, unknown>): EcommerceEvent | undefined {
  const mapper = ECOMMERCE_EVENTS[name];
  return mapper ? mapper(properties) : undefined;
}

/** Order Completed → `order_placed`, deduplicated by `order_id`: the same order sent twice is one order. */
function orderCompleted(p: Record<string, unknown>): EcommerceEvent {
  const rest = without(p, ['order_id', 'total', 'revenue', 'currency', 'discount', 'coupon', 'products']);
  const lineItems = products(p).map(lineItem);
  const discount = amount(p.discount) ?? 0;
  const total = amount(p.total) ?? amount(p.revenue) ?? productsTotal(lineItems, discount);
  const orderId = id(p.order_id);
  return {
    type: 'order_placed',
    properties: {
      ...rest,
      order_id: orderId,
      total,
      currency: currency(p.currency),
      discount_total: discount,
      discount_codes: coupons(p.coupon),
      line_items: lineItems,
    },
    ...(orderId !== null ? { dedupeKey: `order_id:${orderId}` } : {}),
  };
}

/** Order Refunded → `order_refunded` with the refunded `amount` (total, else revenue, else the products refunded). */
function orderRefunded(p: Record<string, unknown>): EcommerceEvent {
  const rest = without(p, ['order_id', 'total', 'revenue', 'amount', 'currency', 'products']);
  const items = products(p).map(lineItem);
  const refunded = amount(p.total) ?? amount(p.revenue) ?? amount(p.amount) ?? productsTotal(items, 0);
  return {
    type: 'order_refunded',
    properties: {
      ...rest,
      order_id: id(p.order_id),
      ...(refunded !== null ? { amount: refunded } : {}),
      currency: currency(p.currency),
      line_items: items.map(({ price, ...item }) => ({ ...item, amount: price === null ? null : cents(price * item.quantity) })),
    },
  };
}

/** Order Cancelled → `order_cancelled`, once per order. */
function orderCancelled(p: Record<string, unknown>): EcommerceEvent {
  const rest = without(p, ['order_id', 'reason', 'products']);
  const orderId = id(p.order_id);
  return {
    type: 'order_cancelled',
    properties: { ...rest, order_id: orderId, reason: typeof p.reason === 'string' ? p.reason.toLowerCase() : null },
    ...(orderId !== null ? { dedupeKey: `order_id:${orderId}:cancelled` } : {}),
  };
}

function checkoutStarted(p: Record<string, unknown>): EcommerceEvent {
  const rest = without(p, ['order_id', 'checkout_id', 'total', 'revenue', 'currency', 'discount', 'coupon', 'products']);
  const lineItems = products(p).map(lineItem);
  const discount = amount(p.discount) ?? 0;
  return {
    type: 'checkout_started',
    properties: {
      ...rest,
      ...(p.checkout_id !== undefined ? { checkout_id: id(p.checkout_id) } : {}),
      order_id: id(p.order_id),
      total: amount(p.total) ?? amount(p.revenue) ?? productsTotal(lineItems, discount),
      currency: currency(p.currency),
      discount_total: discount,
      discount_codes: coupons(p.coupon),
      line_items: lineItems,
    },
  };
}

function couponApplied(p: Record<string, unknown>): EcommerceEvent {
  const rest = without(p, ['coupon_id', 'coupon_name', 'coupon', 'discount']);
  const code = p.coupon_name ?? p.coupon ?? p.coupon_id;
  return {
    type: 'coupon_applied',
    properties: { ...rest, coupon_id: id(p.coupon_id), discount_code: id(code), discount_total: amount(p.discount) },
  };
}

interface LineItem {
  product_id: string | null;
  sku: string | null;
  variant: string | null;
  product_type: string | null;
  title: string | null;
  quantity: number;
  price: number | null;
}

/** A Segment product as a Shopify-shaped line item (product_id, product_type, title, quantity, price). */
function lineItem(p: Record<string, unknown>): LineItem {
  return {
    product_id: id(p.product_id) ?? id(p.sku),
    sku: id(p.sku),
    variant: id(p.variant),
    product_type: id(p.category),
    title: id(p.name),
    quantity: amount(p.quantity) ?? 1,
    price: amount(p.price),
  };
}

/** Product Viewed / Added: one product's properties under Portrait's names (a quantity only when given, or 1 for a product added). */
function product(p: Record<string, unknown>, added: boolean): Record<string, unknown> {
  const rest = without(p, ['product_id', 'sku', 'category', 'name', 'variant', 'price', 'quantity', 'currency', 'cart_id']);
  const { product_id, sku, variant, product_type, title, quantity, price } = lineItem(p);
  return { ...rest, product_id, sku, variant, product_type, title, ...(added || amount(p.quantity) !== null ? { quantity } : {}), price, currency: currency(p.currency) };
}

function products(p: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(p.products) ? p.products.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)) : [];
}

/** Σ price × quantity − discount, to the cent; null when a product has no price (or there are none). */
function productsTotal(items: LineItem[], discount: number): number | null {
  if (items.length === 0 || items.some((i) => i.price === null)) return null;
  return cents(items.reduce((sum, i) => sum + Math.round(i.price! * 100) * i.quantity, 0) / 100 - discount);
}

/** A number, or a numeric string ("42.50", as server-side templates write them) as a number; null otherwise. */
function amount(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

function id(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() || null;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** ISO 4217 codes upper-cased, as Shopify writes them. */
function currency(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim().toUpperCase() : null;
}

function coupons(value: unknown): string[] {
  const code = id(value);
  return code ? code.split(',').map((c) => c.trim()).filter(Boolean) : [];
}

function without(p: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).filter(([k]) => !keys.includes(k)));
}
