/**
 * Phone numbers of the population, per country, and the ways people and systems write them. The
 * numbers follow each country's real numbering plan (valid area codes, mobile prefixes) so that a
 * normalizer backed by libphonenumber accepts them, as it would a real customer's number.
 */

export type PopulationCountry = 'US' | 'BR' | 'FR' | 'GB';

/** How a channel writes a phone number. */
export type PhoneStyle = 'e164' | 'international' | 'national' | 'dotted' | 'digits';

export const PHONE_STYLES: readonly PhoneStyle[] = ['e164', 'international', 'national', 'dotted', 'digits'];

const US_AREA_CODES = ['212', '213', '305', '312', '415', '503', '512', '617', '646', '702', '718', '206'];
const BR_AREA_CODES = ['11', '21', '31', '41', '51', '61', '71', '81'];

/** Builds an E.164 number for `country` from a source of random digits. */
export function phoneNumberFor(country: PopulationCountry, digit: (min: number, max: number) => number, pick: <T>(items: readonly T[]) => T): string {
  const digits = (n: number) => Array.from({ length: n }, () => digit(0, 9)).join('');
  switch (country) {
    case 'US': {
      // Exchange codes start 2-9 and avoid 555 (reserved for fiction) and N11 (service codes).
      let exchange: string;
      do exchange = `${digit(2, 9)}${digits(2)}`;
      while (exchange === '555' || exchange.endsWith('11'));
      return `+1${pick(US_AREA_CODES)}${exchange}${digits(4)}`;
    }
    case 'BR':
      return `+55${pick(BR_AREA_CODES)}9${digit(6, 9)}${digits(7)}`;
    case 'FR':
      return `+33${pick(['6', '7'])}${digits(8)}`;
    case 'GB':
      return `+447${digit(4, 9)}${digits(8)}`;
  }
}

/** Writes an E.164 number of `country` in `style`: `(415) 234-5678`, `+55 11 98765-4321`, `06.12.34.56.78`… */
export function formatPhone(e164: string, country: PopulationCountry, style: PhoneStyle): string {
  if (style === 'e164') return e164;
  if (style === 'digits') return e164.slice(1);
  switch (country) {
    case 'US': {
      const [a, e, l] = [e164.slice(2, 5), e164.slice(5, 8), e164.slice(8)];
      if (style === 'international') return `+1 ${a}-${e}-${l}`;
      if (style === 'national') return `(${a}) ${e}-${l}`;
      return `${a}.${e}.${l}`;
    }
    case 'BR': {
      const [ddd, first, last] = [e164.slice(3, 5), e164.slice(5, 10), e164.slice(10)];
      if (style === 'international') return `+55 ${ddd} ${first}-${last}`;
      if (style === 'national') return `(${ddd}) ${first}-${last}`;
      return `${ddd}.${first}.${last}`;
    }
    case 'FR': {
      const pairs = `0${e164.slice(3)}`.match(/../g)!;
      if (style === 'international') return `+33 ${e164.slice(3, 4)} ${pairs.slice(1).join(' ')}`;
      if (style === 'national') return pairs.join(' ');
      return pairs.join('.');
    }
    case 'GB': {
      const national = `0${e164.slice(3)}`;
      if (style === 'international') return `+44 ${e164.slice(3, 7)} ${e164.slice(7)}`;
      if (style === 'national') return `${national.slice(0, 5)} ${national.slice(5)}`;
      return `${national.slice(0, 5)}.${national.slice(5)}`;
    }
  }
}
