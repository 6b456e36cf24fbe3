import type { ChannelRecord } from '@portrait/testkit';

/**
 * Store-visit exports as a shop's back office drops them, written from the testkit population:
 * quoted fields with commas, quotes and line breaks, day-first dates, messy emails and phones. The
 * conformance tests and the demo workspace read the same files.
 */
export const STORE_VISITS_HEADER = ['Visit ID', 'E-mail', 'Phone', 'First name', 'Last name', 'City', 'Store', 'Visited at', 'Amount', 'Notes'];

/** The column mapping of those exports. */
export const storeVisitsMapping = {
  externalId: 'Visit ID',
  identities: { 'E-mail': 'email', Phone: 'phone' },
  traits: { 'First name': 'first_name', 'Last name': 'last_name', City: 'city' },
  event: {
    type: 'store_visited',
    occurredAt: 'Visited at',
    properties: { Store: 'store', Amount: { property: 'amount', type: 'number' as const }, Notes: 'notes' },
  },
  dateFormat: 'dmy' as const,
};

const STORES = ['Main St, Springfield', 'Harbor Mall', 'Rua Augusta, 120 - Lisboa', 'Outlet "North"'];

/** One CSV line, fields quoted when they hold a comma, a quote or a line break. */
export function csvLine(values: readonly string[]): string {
  return values.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
}

function dayFirst(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** The row of the n-th visit drawn from the population. */
export function storeVisitRow(record: ChannelRecord, n: number): string[] {
  return [
    `V-${record.recordId}`,
    record.email ?? '',
    record.phone ?? '',
    record.firstName,
    record.lastName,
    record.city,
    STORES[n % STORES.length]!,
    dayFirst(record.occurredAt),
    (10 + (n % 17) * 3.5).toFixed(2),
    n % 5 === 0 ? `Asked about "loyalty card"\nwill come back` : '',
  ];
}

/** A whole export file: the header, then the rows, CRLF line ends. */
export function storeVisitsCsv(rows: readonly string[][]): string {
  return [STORE_VISITS_HEADER, ...rows].map(csvLine).join('\r\n') + '\r\n';
}
