import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Identity } from '@portrait/connector-sdk';
import type { IdentitySettings } from './identity-settings.js';

export type NormalizedIdentity = { ok: true; identity: Identity } | { ok: false; identity: Identity; reason: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Normalizes identifier values so that the same person matches whatever the channel wrote:
 * emails trimmed and lower-cased, phones in E.164 (parsed with the fact's country or the workspace's
 * default region), domains bare and lower-cased, other ids trimmed. Blocked values never match.
 */
export class IdentityNormalizer {
  private readonly blocked: Set<string>;

  constructor(private readonly settings: IdentitySettings) {
    this.blocked = new Set(settings.blockedValues.map((v) => v.trim().toLowerCase()));
  }

  normalize(identity: Identity, regionHint?: string): NormalizedIdentity {
    const normalized = this.normalizeValue(identity, regionHint);
    if (!normalized.ok) return normalized;
    if (this.blocked.has(normalized.identity.value.toLowerCase())) {
      return { ok: false, identity, reason: `${identity.type} "${normalized.identity.value}" is a blocked value` };
    }
    return normalized;
  }

  /**
   * An `email` or `phone` trait as its identity would be stored (lower-cased, E.164), blocked values
   * included (a trait is not a match key); undefined when it is not a valid one.
   */
  normalizeTrait(type: 'email' | 'phone', value: string, regionHint?: string): string | undefined {
    const normalized = this.normalizeValue({ type, value }, regionHint);
    return normalized.ok ? normalized.identity.value : undefined;
  }

  private normalizeValue({ type, value }: Identity, regionHint?: string): NormalizedIdentity {
    const trimmed = value.trim();
    if (!trimmed) return { ok: false, identity: { type, value }, reason: `${type} is empty` };
    switch (type) {
      case 'email': {
        const email = trimmed.toLowerCase();
        return EMAIL.test(email)
          ? { ok: true, identity: { type, value: email } }
          : { ok: false, identity: { type, value }, reason: `email "${trimmed}" is not an email address` };
      }
      case 'phone': {
        const region = (regionHint && /^[A-Za-z]{2}$/.test(regionHint) ? regionHint.toUpperCase() : this.settings.defaultRegion) as CountryCode;
        const phone = parsePhoneNumberFromString(trimmed, region);
        return phone?.isValid()
          ? { ok: true, identity: { type, value: phone.number } }
          : { ok: false, identity: { type, value }, reason: `phone "${trimmed}" is not a valid phone number (region ${region})` };
      }
      case 'domain': {
        const domain = trimmed
          .toLowerCase()
          .replace(/^[a-z]+:\/\//, '')
          .replace(/^www\./, '')
          .replace(/[/?#].*$/, '');
        return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain)
          ? { ok: true, identity: { type, value: domain } }
          : { ok: false, identity: { type, value }, reason: `domain "${trimmed}" is not a domain name` };
      }
      default:
        return { ok: true, identity: { type, value: trimmed } };
    }
  }
}
