import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { CsvConfig } from './csv-config.js';
import { CsvParser, type CsvRecord } from './csv-parser.js';

/** The files of a CSV source, in a stable order, each named as reported in locations. */
export interface CsvFile {
  path: string;
  /** The name shown in `file line N` locations. */
  name: string;
}

/** Lists the files to import: the directory's files with a matching extension (by name), or the configured list. */
export async function listCsvFiles(config: Pick<CsvConfig, 'directory' | 'files' | 'extensions'>): Promise<CsvFile[]> {
  if (config.files) return config.files.map((file) => ({ path: resolve(file), name: basename(file) }));
  const directory = resolve(config.directory!);
  const extensions = new Set(config.extensions.map((e) => e.toLowerCase()));
  const entries = await readdir(directory, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && extensions.has(extname(entry.name).toLowerCase()))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ path: join(directory, name), name }));
}

/** sha256 of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** When a file was last modified, as an ISO timestamp. */
export async function modifiedAt(path: string): Promise<string> {
  return (await stat(path)).mtime.toISOString();
}

/** Why a path cannot be read as a directory / a file, or undefined when it can. */
export async function unreadable(path: string, expect: 'directory' | 'file'): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (expect === 'directory' ? !info.isDirectory() : !info.isFile()) return `"${path}" is not a ${expect}`;
    await access(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${expect} "${path}" does not exist`;
    if (code === 'EACCES') return `${expect} "${path}" is not readable`;
    return `${expect} "${path}" cannot be read (${code ?? 'unknown error'})`;
  }
}

/** Streams the records of a CSV file (header included); closing the iterator closes the file. */
export async function* readCsvRecords(path: string, delimiter: string): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser(delimiter);
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream) yield* parser.push(chunk as string);
    yield* parser.end();
  } finally {
    stream.destroy();
  }
}
