import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drawChannel, generatePopulation, type ConformanceMutation, type ConformanceSandbox } from '@portrait/testkit';
import type { CsvConfigInput } from '../csv-config.js';
import { csvLine, STORE_VISITS_HEADER as HEADER, storeVisitRow as visitRow, storeVisitsCsv as visitsCsv, storeVisitsMapping as visitsMapping } from './store-visits.js';

export { csvLine, STORE_VISITS_HEADER, storeVisitRow, storeVisitsCsv, storeVisitsMapping } from './store-visits.js';

/**
 * The CSV plugin's "sandbox" (`@portrait/plugin-csv/sandbox`, for tests and benches): store-visit
 * exports written from the testkit population into a temp directory, as a shop's back office would
 * drop them: quoted fields with commas, quotes and line breaks, day-first dates, messy emails and
 * phones. `mutate` and `corrupt` are what the conformance suite asks of a sandbox.
 */

export interface CsvSandbox extends ConformanceSandbox {
  directory: string;
  /** Visit ids per file name. */
  files: Map<string, string[]>;
}

export async function startCsvSandbox(options: { seed?: number; people?: number } = {}): Promise<CsvSandbox> {
  const directory = await mkdtemp(join(tmpdir(), 'portrait-csv-'));
  const population = generatePopulation({ seed: options.seed ?? 5, people: options.people ?? 90, companies: 0 });
  const records = drawChannel(population, { channel: 'store_visits', coverage: 0.7, recordsPerPerson: [1, 2] });
  const rows = records.map(visitRow);
  const files = new Map<string, string[]>();
  const write = async (name: string, fileRows: string[][]) => {
    await writeFile(join(directory, name), visitsCsv(fileRows));
    files.set(name, fileRows.map((r) => r[0]!));
  };
  const third = Math.ceil(rows.length / 3);
  const parts = [rows.slice(0, third), rows.slice(third, 2 * third), rows.slice(2 * third)];
  await write('visits-2025-q1.csv', parts[0]!);
  await write('visits-2025-q2.csv', parts[1]!);
  await write('visits-2025-q3.csv', parts[2]!);
  // Not a CSV: ignored.
  await writeFile(join(directory, 'README.txt'), 'exports from the store back office\n');

  return {
    directory,
    files,
    async mutate(): Promise<ConformanceMutation> {
      // The back office re-exports Q2 with one corrected row, and drops a new Q4 file.
      const q2 = parts[1]!.map((row) => [...row]);
      q2[0]![5] = `${q2[0]![5]} (corrected)`;
      await write('visits-2025-q2.csv', q2);
      const q4 = [
        ['V-new-1', 'walk.in@example.org', '', 'Walk', 'In', 'Porto', 'Harbor Mall', '02/01/2026 10:15', '42.00', ''],
        ['V-new-2', '', '+33 6 12 34 56 78', 'Jeanne', 'Martin', 'Lyon', 'Main St, Springfield', '03/01/2026 16:40', '7.50', 'paid cash'],
      ];
      await write('visits-2025-q4.csv', q4);
      return { touched: { rows: [...files.get('visits-2025-q2.csv')!, ...files.get('visits-2025-q4.csv')!] } };
    },
    async corrupt() {
      const good = visitRow(records[0]!, 0);
      await writeFile(
        join(directory, 'visits-broken.csv'),
        [
          csvLine(HEADER),
          csvLine(['V-bad-1', '', '', 'No', 'Identity', 'Nowhere', 'Harbor Mall', '01/01/2026 10:00', '1', '']),
          csvLine(['V-bad-2', 'x@example.org', '', 'Bad', 'Date', 'Nowhere', 'Harbor Mall', '31/02/2026 10:00', '1', '']),
          csvLine(['V-bad-3', 'y@example.org', 'too', 'few']),
          csvLine(good),
        ].join('\n'),
      );
    },
    close: () => rm(directory, { recursive: true, force: true }),
  };
}

export function sandboxConfig(sandbox: CsvSandbox, overrides: Partial<CsvConfigInput> = {}): CsvConfigInput {
  return { source: 'csv-store-visits', directory: sandbox.directory, batchSize: 20, mapping: visitsMapping, ...overrides };
}
