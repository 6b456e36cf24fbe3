import { gid, SHOP_CURRENCY, type SandboxCustomer, type SandboxOrder, type SandboxRefund, type ShopData } from './shop-data.js';

/**
 * Webhook bodies in Shopify's shape (REST resource JSON, snake_case, `admin_graphql_api_id`), for
 * the topics the connector subscribes to.
 */

export function customerWebhookPayload(c: SandboxCustomer, data: ShopData) {
  const totals = data.customerTotals(c.id);
  return {
    id: c.id,
    email: c.email,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    first_name: c.firstName,
    last_name: c.lastName,
    orders_count: totals.numberOfOrders,
    state: c.state.toLowerCase(),
    total_spent: totals.amountSpent,
    note: c.note,
    verified_email: c.verifiedEmail,
    tax_exempt: false,
    tags: c.tags.join(', '),
    currency: SHOP_CURRENCY,
    phone: c.phone,
    addresses: c.address ? [{ id: c.address.id, customer_id: c.id, city: c.address.city, province: c.address.province, country: c.address.country, zip: c.address.zip, country_code: c.address.countryCode, default: true }] : [],
    email_marketing_consent: c.emailConsent && { state: c.emailConsent.state.toLowerCase(), opt_in_level: c.emailConsent.optInLevel.toLowerCase(), consent_updated_at: c.emailConsent.updatedAt },
    sms_marketing_consent: c.smsConsent && { state: c.smsConsent.state.toLowerCase(), opt_in_level: c.smsConsent.optInLevel.toLowerCase(), consent_updated_at: c.smsConsent.updatedAt, consent_collected_from: 'OTHER' },
    admin_graphql_api_id: gid('Customer', c.id),
    default_address: c.address ? { id: c.address.id, customer_id: c.id, city: c.address.city, province: c.address.province, country: c.address.country, zip: c.address.zip, country_code: c.address.countryCode, default: true } : null,
  };
}

export function orderWebhookPayload(o: SandboxOrder, data: ShopData) {
  const customer = o.customerId ? data.customer(o.customerId) : undefined;
  return {
    id: o.id,
    admin_graphql_api_id: gid('Order', o.id),
    name: `#${o.number}`,
    order_number: o.number,
    email: o.email,
    contact_email: o.email,
    phone: o.phone,
    created_at: o.createdAt,
    processed_at: o.processedAt,
    updated_at: o.updatedAt,
    cancelled_at: o.cancelledAt,
    cancel_reason: o.cancelReason?.toLowerCase() ?? null,
    currency: SHOP_CURRENCY,
    subtotal_price: o.subtotal,
    total_discounts: o.discount,
    total_price: o.total,
    discount_codes: o.discountCodes.map((code) => ({ code, amount: o.discount, type: 'percentage' })),
    financial_status: o.financialStatus.toLowerCase(),
    fulfillment_status: o.fulfillmentStatus === 'FULFILLED' ? 'fulfilled' : null,
    line_items: o.lineItems.map((li) => ({
      id: li.id,
      admin_graphql_api_id: gid('LineItem', li.id),
      product_id: li.productId,
      variant_id: li.variantId,
      title: li.title,
      name: li.title,
      quantity: li.quantity,
      price: li.price,
      sku: li.sku,
    })),
    refunds: o.refunds.map((r) => refundWebhookPayload(o, r)),
    customer: customer ? { id: customer.id, email: customer.email, admin_graphql_api_id: gid('Customer', customer.id) } : null,
  };
}

export function refundWebhookPayload(o: SandboxOrder, r: SandboxRefund) {
  return {
    id: r.id,
    order_id: o.id,
    admin_graphql_api_id: gid('Refund', r.id),
    created_at: r.createdAt,
    processed_at: r.createdAt,
    note: null,
    refund_line_items: r.lineItems.map((l) => ({ id: l.id, line_item_id: l.lineItemId, quantity: l.quantity, subtotal: l.subtotal })),
    transactions: [{ kind: 'refund', status: 'success', amount: r.amount, currency: SHOP_CURRENCY }],
  };
}
