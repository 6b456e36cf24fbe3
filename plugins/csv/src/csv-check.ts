import type { CheckResult } from '@portrait/connector-sdk';
import type { CsvConfig } from './csv-config.js';
import { listCsvFiles, readCsvRecords, unreadable } from './csv-files.js';
import { compileRowMapper } from './row-mapper.js';

/**
 * The admin's "Test connection" for a CSV source: the directory (or every listed file) can be read,
 * and every file present has the columns the mapping names. An empty directory is fine: files may
 * be dropped in later.
 */
export async function checkCsvSource(config: CsvConfig): Promise<CheckResult> {
  if (config.directory) {
    const problem = await unreadable(config.directory, 'directory');
    if (problem) return { ok: false, reason: problem };
  } else {
    for (const file of config.files ?? []) {
      const problem = await unreadable(file, 'file');
      if (problem) return { ok: false, reason: problem };
    }
  }
  const problems: string[] = [];
  for (const file of await listCsvFiles(config)) {
    for await (const header of readCsvRecords(file.path, config.delimiter)) {
      const compiled = compileRowMapper(config, header.fields);
      if (!compiled.ok) problems.push(`${file.name} has no column ${compiled.missing.map((c) => `"${c}"`).join(', ')}`);
      break;
    }
  }
  return problems.length ? { ok: false, reason: problems.join('; ') } : { ok: true };
}
