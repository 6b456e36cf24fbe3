import { InvalidRecordError, abortReason, type ConnectorContext, type ProfileFact, type ReadMessage, type ReadRequest, type StreamState } from '@portrait/connector-sdk';
import type { CsvConfig } from './csv-config.js';
import { listCsvFiles, modifiedAt, readCsvRecords, sha256File } from './csv-files.js';
import { compileRowMapper, type RowMapper } from './row-mapper.js';

/**
 * The `rows` stream: every row of every file, incremental by file checksum. A file whose sha256 was
 * already imported is skipped (renaming it changes nothing; editing it imports it again whole). The
 * checkpoint records the imported checksums and, inside the file being read, how many rows are done,
 * so a resumed read continues mid-file.
 */

export interface ImportedFile {
  /** The file's name when it was imported. */
  file: string;
  /** Data rows read (facts and invalid rows). */
  rows: number;
  /** Set when the whole file was refused (e.g. a mapped column is missing from its header). */
  rejected?: string;
}

export interface CsvRowsState extends StreamState {
  /** sha256 → what was imported from the file with that content. */
  imported: Record<string, ImportedFile>;
  /** The file being read when the checkpoint was taken. */
  current?: { sha256: string; file: string; rowsDone: number };
}

function parseState(state: StreamState | undefined): CsvRowsState {
  const imported = state?.imported;
  const current = state?.current as CsvRowsState['current'];
  return {
    imported: imported && typeof imported === 'object' ? { ...(imported as Record<string, ImportedFile>) } : {},
    current: current && typeof current.sha256 === 'string' && typeof current.rowsDone === 'number' ? current : undefined,
  };
}

export async function* readRows(request: ReadRequest, config: CsvConfig, ctx: ConnectorContext): AsyncGenerator<ReadMessage> {
  if (request.stream !== 'rows') throw new Error(`the csv connector has no stream "${request.stream}"`);
  const state = parseState(request.state);
  const checkpoint = (current?: CsvRowsState['current']): ReadMessage => ({
    type: 'checkpoint',
    state: current ? { imported: { ...state.imported }, current: { ...current } } : { imported: { ...state.imported } },
  });

  for (const file of await listCsvFiles(config)) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    const sha256 = await sha256File(file.path);
    if (state.imported[sha256]) continue;
    const skip = state.current?.sha256 === sha256 ? state.current.rowsDone : 0;
    const fileObservedAt = await modifiedAt(file.path);
    ctx.logger.info({ file: file.name, sha256, resumeAtRow: skip }, 'importing CSV file');

    let compiled: ReturnType<typeof compileRowMapper> | undefined;
    let mapper: RowMapper | undefined;
    let rowsDone = 0;
    let batch: ProfileFact[] = [];
    for await (const record of readCsvRecords(file.path, config.delimiter)) {
      const location = `${file.name} line ${record.line}`;
      if (!compiled) {
        compiled = compileRowMapper(config, record.fields);
        if (!compiled.ok) break;
        mapper = compiled.mapper;
        continue;
      }
      rowsDone++;
      if (rowsDone <= skip) continue;
      if (ctx.signal.aborted) throw abortReason(ctx.signal);
      try {
        if (record.error) throw new InvalidRecordError(record.error, record.fields, location);
        batch.push(mapper!.map(record.fields, location, fileObservedAt));
      } catch (error) {
        if (!(error instanceof InvalidRecordError)) throw error;
        yield { type: 'invalid', reason: error.reason, payload: error.payload, location: error.location };
      }
      if (batch.length >= config.batchSize) {
        yield { type: 'facts', facts: batch };
        batch = [];
        yield checkpoint({ sha256, file: file.name, rowsDone });
      }
    }
    if (batch.length > 0) yield { type: 'facts', facts: batch };

    if (compiled && !compiled.ok) {
      const reason = `missing column${compiled.missing.length > 1 ? 's' : ''} ${compiled.missing.map((c) => `"${c}"`).join(', ')}`;
      yield { type: 'invalid', reason, location: `${file.name} line 1` };
      state.imported[sha256] = { file: file.name, rows: 0, rejected: reason };
    } else {
      state.imported[sha256] = { file: file.name, rows: rowsDone };
    }
    state.current = undefined;
    yield checkpoint();
  }
  // A read that found nothing new still ends with the state the next incremental read starts from.
  yield checkpoint();
}
