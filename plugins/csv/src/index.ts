import { defineConnector } from '@portrait/connector-sdk';
import { csvConfigSchema, type CsvConfig } from './csv-config.js';
import { checkCsvSource } from './csv-check.js';
import { readRows } from './rows.stream.js';

/**
 * Imports offline data — store visits, events attended, postal campaigns, loyalty cards — from CSV
 * files in a directory (or a list of files), mapping columns to identities, traits and an event.
 */
export const connector = defineConnector<CsvConfig>({
  manifest: {
    id: 'csv',
    name: 'CSV files',
    version: '0.1.0',
    description: 'Offline data (store visits, events attended, postal campaigns, loyalty cards) from CSV files, with a column mapping.',
    kind: 'source',
    configSchema: csvConfigSchema,
    secretFields: [],
    streams: [
      {
        name: 'rows',
        description: 'Every row of every file; a file already imported with the same content (sha256) is skipped.',
        primaryKey: ['externalId'],
        cursorField: 'file_sha256',
        syncModes: ['full', 'incremental'],
      },
    ],
    defaultSchedule: '0 * * * *',
    capabilities: {},
  },
  check: (config) => checkCsvSource(config),
  read(request, config, ctx) {
    return readRows(request, config, ctx);
  },
});

export default connector;
export { csvConfigSchema, type CsvConfig, type CsvConfigInput, type CsvMapping } from './csv-config.js';
export { CsvParser, parseCsv, type CsvRecord } from './csv-parser.js';
export type { CsvRowsState, ImportedFile } from './rows.stream.js';
