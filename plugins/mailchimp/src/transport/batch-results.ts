import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * The results of a finished batch: Mailchimp stores them as a gzipped tar archive (at the batch's
 * `response_body_url`) of JSON files, each an array of `{ status_code, operation_id, response }`
 * where `response` is the operation's reply body as a string.
 */

export interface BatchOperationResult {
  status_code: number;
  operation_id: string | null;
  /** The reply's body, as Mailchimp gives it: a JSON string. */
  response: string;
}

const BLOCK = 512;

/** The operations' results from the archive's bytes; a file that is not an array of results is an error. */
export function readBatchResults(archive: Buffer): BatchOperationResult[] {
  const tar = gunzipSync(archive);
  const results: BatchOperationResult[] = [];
  for (const file of tarFiles(tar)) {
    if (!file.name.endsWith('.json')) continue;
    const parsed: unknown = JSON.parse(file.data.toString('utf8'));
    if (!Array.isArray(parsed)) throw new Error(`the batch result ${file.name} is not an array`);
    for (const item of parsed) {
      const r = item as Partial<BatchOperationResult>;
      results.push({ status_code: Number(r.status_code), operation_id: r.operation_id ?? null, response: typeof r.response === 'string' ? r.response : JSON.stringify(r.response ?? null) });
    }
  }
  return results;
}

/** Regular files of a (ustar) tar archive. */
function* tarFiles(tar: Buffer): Generator<{ name: string; data: Buffer }> {
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) return;
    const name = text(header, 0, 100);
    const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar') ? text(header, 345, 155) : '';
    const size = parseInt(text(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const start = offset + BLOCK;
    if (type === '0' || type === '\0') yield { name: prefix ? `${prefix}/${name}` : name, data: tar.subarray(start, start + size) };
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
}

function text(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

/** A gzipped tar archive of these files (the sandbox serves batch results with it). */
export function writeTarGz(files: { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const header = Buffer.alloc(BLOCK);
    header.write(file.name.slice(0, 100), 0, 'utf8');
    header.write('0000644\0', 100, 'latin1');
    header.write('0000000\0', 108, 'latin1');
    header.write('0000000\0', 116, 'latin1');
    header.write(`${file.data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'latin1');
    header.write('        ', 148, 'latin1');
    header.write('0', 156, 'latin1');
    header.write('ustar\0', 257, 'latin1');
    header.write('00', 263, 'latin1');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(header, file.data, Buffer.alloc((BLOCK - (file.data.length % BLOCK)) % BLOCK));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(blocks));
}
