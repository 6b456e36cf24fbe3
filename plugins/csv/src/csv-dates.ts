/**
 * Dates as offline exports write them. ISO 8601 (`2025-03-01`, `2025-03-01T10:30:00Z`,
 * `2025-03-01 10:30`), or day-first / month-first with `/`, `.` or `-` (`01/03/2025 10:30`). A date
 * without an offset is taken as UTC. Impossible dates (31/02) are refused, not rolled over.
 */

export type DateFormat = 'iso' | 'dmy' | 'mdy';

export interface ParsedDate {
  /** ISO-8601 UTC timestamp. */
  iso: string;
  /** The input had no time of day: `YYYY-MM-DD`. */
  dateOnly: string | undefined;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
const LOCAL = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;

export function parseDate(text: string, format: DateFormat): ParsedDate | undefined {
  const value = text.trim();
  const iso = ISO.exec(value);
  if (iso) {
    const [, y, mo, d, h, mi, s, frac, zone] = iso;
    return build(+y!, +mo!, +d!, h, mi, s, frac, zone);
  }
  if (format === 'iso') return undefined;
  const local = LOCAL.exec(value);
  if (!local) return undefined;
  const [, a, b, y, h, mi, s] = local;
  const [day, month] = format === 'dmy' ? [+a!, +b!] : [+b!, +a!];
  return build(+y!, month, day, h, mi, s, undefined, undefined);
}

function build(
  year: number,
  month: number,
  day: number,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
  fraction: string | undefined,
  zone: string | undefined,
): ParsedDate | undefined {
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  const [h, mi, s] = [Number(hour ?? 0), Number(minute ?? 0), Number(second ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const ms = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
  let time = Date.UTC(year, month - 1, day, h, mi, s, ms);
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    iso: new Date(time).toISOString(),
    dateOnly: hour === undefined ? `${String(year).padStart(4, '0')}-${pad(month)}-${pad(day)}` : undefined,
  };
}
