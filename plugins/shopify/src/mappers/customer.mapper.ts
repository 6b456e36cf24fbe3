import { InvalidRecordError, namespaced, validateFact, type Consent, type Identity, type ProfileFact } from '@portrait/connector-sdk';
import { money, numericId } from './shopify-values.js';

/** A customer as the connector's queries select it (GraphQL Admin API names). */
export interface CustomerNode {
  id: string;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  state?: string | null;
  tags?: string[] | null;
  verifiedEmail?: boolean | null;
  createdAt?: string | null;
  updatedAt?: string | null;
  defaultAddress?: { city?: string | null; province?: string | null; countryCodeV2?: string | null; zip?: string | null } | null;
  amountSpent?: { amount: string; currencyCode: string } | null;
  numberOfOrders?: string | number | null;
  emailMarketingConsent?: { marketingState: string; consentUpdatedAt?: string | null } | null;
  smsMarketingConsent?: { marketingState: string; consentUpdatedAt?: string | null } | null;
}

/** The customer fields the connector reads, for paged queries, bulk queries and webhooks alike. */
export const CUSTOMER_FIELDS = /* GraphQL */ `
  id
  firstName
  lastName
  email
  phone
  state
  tags
  verifiedEmail
  createdAt
  updatedAt
  defaultAddress { city province countryCodeV2 zip }
  amountSpent { amount currencyCode }
  numberOfOrders
  emailMarketingConsent { marketingState consentUpdatedAt }
  smsMarketingConsent { marketingState consentUpdatedAt }
`;

const GRANTED = new Set(['SUBSCRIBED']);
const REFUSED = new Set(['UNSUBSCRIBED', 'NOT_SUBSCRIBED', 'REDACTED', 'INVALID']);

/**
 * One customer → one fact: `shopify_customer_id`, e-mail and phone as identities; names, address,
 * Shopify's state, tags and totals as traits; e-mail and SMS marketing consent with their time.
 */
export function customerFact(node: CustomerNode, source: string, location: string): ProfileFact {
  const id = numericId(node?.id, 'Customer');
  if (!id) throw new InvalidRecordError('the customer has no Customer id', node, location);
  if (!node.updatedAt || !node.createdAt) throw new InvalidRecordError(`customer ${id}: createdAt or updatedAt is missing`, node, location);
  const identities: Identity[] = [{ type: 'shopify_customer_id', value: id }];
  const email = node.email?.trim();
  const phone = node.phone?.trim();
  if (email) identities.push({ type: 'email', value: email });
  if (phone) identities.push({ type: 'phone', value: phone });

  const traits: Record<string, unknown> = {
    first_name: node.firstName?.trim() || null,
    last_name: node.lastName?.trim() || null,
    created_at: node.createdAt,
    [namespaced('shopify', 'state')]: node.state?.toLowerCase() ?? null,
    [namespaced('shopify', 'tags')]: node.tags ?? [],
    [namespaced('shopify', 'verified_email')]: node.verifiedEmail ?? null,
    [namespaced('shopify', 'updated_at')]: node.updatedAt,
  };
  if (email) traits.email = email;
  if (phone) traits.phone = phone;
  if (node.defaultAddress) {
    traits.city = node.defaultAddress.city ?? null;
    traits.region = node.defaultAddress.province ?? null;
    traits.country = node.defaultAddress.countryCodeV2 ?? null;
    traits.postal_code = node.defaultAddress.zip?.trim() || null;
  }
  if (node.amountSpent) traits[namespaced('shopify', 'amount_spent')] = money(node.amountSpent.amount);
  if (node.numberOfOrders !== undefined && node.numberOfOrders !== null) traits[namespaced('shopify', 'number_of_orders')] = Number(node.numberOfOrders);

  const consent: Consent[] = [];
  const consentOf = (purpose: string, state: { marketingState: string; consentUpdatedAt?: string | null } | null | undefined) => {
    if (!state) return;
    const granted = GRANTED.has(state.marketingState) ? true : REFUSED.has(state.marketingState) ? false : undefined;
    // A state without a time of consent (never asked) records nothing; PENDING waits for confirmation.
    if (granted === undefined || !state.consentUpdatedAt) return;
    consent.push({ purpose, granted, at: state.consentUpdatedAt });
  };
  consentOf('email_marketing', node.emailMarketingConsent);
  consentOf('sms_marketing', node.smsMarketingConsent);

  // Absent values are left out rather than sent as null, so they never mask another source's value.
  for (const key of Object.keys(traits)) if (traits[key] === null) delete traits[key];
  const validation = validateFact({ source, externalId: node.id, identities, traits, consent, observedAt: node.updatedAt });
  if (!validation.ok) throw new InvalidRecordError(`customer ${id}: ${validation.reason}`, node, location);
  return validation.fact;
}
