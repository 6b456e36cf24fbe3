import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Identity } from '@portrait/connector-sdk';
import type { IdentitySettings } from './identity-settings.js';

export type NormalizedIdentity = { ok: true; identity: Identity } | { ok: false; identity: Identity; reason: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Normalizes identifier values so that the same person matches whatever the channel wrote:
 * emails trimmed and lower-cased, phones in E.164 (parsed with the fact's country or the workspace's
 * default region; valid, or possible when written with their country code), domains bare and lower-cased, other ids trimmed. Blocked values never match.
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

  /**
   * The match keys the workspace turned on, derived from a fact's traits: identifiers no channel
   * sends but two records of one person share. `name_postal_code` is the last name's Soundex code,
   * the first name's initial and the postal code (`F652:f:92425`): it links a shop's customer and a
   * newsletter's member who share no e-mail or phone but live at one address under one name, a
   * typo of the last name included. Matching on it alone also needs the first names to agree (`nameGuard`).
   */
  matchKeys(traits: Record<string, unknown>): Identity[] {
    const keys: Identity[] = [];
    if (this.settings.matchKeys.includes('name_postal_code')) {
      const first = lettersOf(traits.first_name);
      const last = soundex(lettersOf(traits.last_name));
      const postal = postalCode(traits.postal_code);
      if (first && last && postal) keys.push({ type: 'name_postal_code', value: `${last}:${first[0]}:${postal}` });
    }
    return keys.filter((k) => !this.blocked.has(k.value.toLowerCase()));
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
        // Written with its country code, a number of a possible length is kept even outside the ranges
        // known to be allocated (numbering plans grow faster than any table of them); a national number
        // must be a valid one of its region, or the region guessed for it could be wrong.
        const international = /^(\+|00)/.test(trimmed);
        return phone && (phone.isValid() || (international && phone.isPossible()))
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

/** A name's Latin letters, without accents, lower case: `O'Brien-Núñez` → `obriennunez`. */
function lettersOf(value: unknown): string {
  return typeof value === 'string' ? value.normalize('NFKD').replace(/[^A-Za-z]/g, '').toLowerCase() : '';
}

const SOUNDEX_CODES: Record<string, string> = { b: '1', f: '1', p: '1', v: '1', c: '2', g: '2', j: '2', k: '2', q: '2', s: '2', x: '2', z: '2', d: '3', t: '3', l: '4', m: '5', n: '5', r: '6' };

/** American Soundex (`Purdy`, `Purrdy` → `P630`); empty for no letters. */
function soundex(letters: string): string {
  if (!letters) return '';
  let code = letters[0]!.toUpperCase();
  let previous = SOUNDEX_CODES[letters[0]!] ?? '';
  for (const letter of letters.slice(1)) {
    const digit = SOUNDEX_CODES[letter] ?? '';
    if (digit && digit !== previous) code += digit;
    // h and w do not separate two letters of the same code; vowels do.
    if (letter !== 'h' && letter !== 'w') previous = digit;
    if (code.length === 4) break;
  }
  return code.padEnd(4, '0');
}

/** A postal code as compared: upper case without spaces, a US ZIP+4 as its five digits; empty when it has no digit or letter. */
function postalCode(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const code = String(value).toUpperCase().replace(/\s+/g, '');
  if (/^\d{5}-\d{4}$/.test(code)) return code.slice(0, 5);
  return /^(?=.*[A-Z0-9])[A-Z0-9-]{2,12}$/.test(code) ? code : '';
}
