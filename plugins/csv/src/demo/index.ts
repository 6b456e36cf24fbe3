import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StartDemoSandbox } from '@portrait/connector-sdk';
import { drawChannel, generatePopulation } from '@portrait/testkit';
import type { CsvConfigInput } from '../csv-config.js';
import { storeVisitRow, storeVisitsCsv, storeVisitsMapping } from '../sandbox/store-visits.js';

/** The demo's population: the same seed every start, so every start finds the same people. */
const DEMO_SEED = 2026;
const DEMO_PEOPLE = 400;

/**
 * The CSV plugin's demo: a year of store-visit exports (a file a quarter) from the seeded population,
 * written once under `<dataDir>/demo/csv-store-visits/` and kept, so the demo source imports them on
 * its first sync and finds nothing new after (the files' checksums are its state).
 */
export const startDemoSandbox: StartDemoSandbox<CsvConfigInput> = async ({ dataDir }) => {
  const directory = join(dataDir, 'demo', 'csv-store-visits');
  if (!existsSync(join(directory, 'visits-2025-q4.csv'))) {
    await mkdir(directory, { recursive: true });
    const population = generatePopulation({ seed: DEMO_SEED, people: DEMO_PEOPLE, companies: 0 });
    const rows = drawChannel(population, { channel: 'store_visits', coverage: 0.6, recordsPerPerson: [1, 3] }).map(storeVisitRow);
    const quarter = Math.ceil(rows.length / 4);
    for (const [i, name] of ['q1', 'q2', 'q3', 'q4'].entries()) {
      await writeFile(join(directory, `visits-2025-${name}.csv`), storeVisitsCsv(rows.slice(i * quarter, (i + 1) * quarter)));
    }
  }
  return {
    sourceName: 'Store visits (demo)',
    config: { source: 'csv-store-visits', directory, mapping: storeVisitsMapping },
    close: async () => undefined,
  };
};
