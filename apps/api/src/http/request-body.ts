import { parse as parseQuery } from 'node:querystring';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { findJsonProblems } from '@portrait/connector-sdk';
import { ApiProblem, validationProblem } from '@portrait/core/http';
import type { FastifyRequest } from 'fastify';

/** How deep a JSON body may nest (objects and arrays, the body itself included). */
export const MAX_BODY_DEPTH = 32;

/** Routes whose body is JSON whatever its Content-Type says (RudderStack labels gzip JSON as a form). */
const JSON_WHATEVER_ITS_TYPE = /^\/v1\/(track|identify|page|screen|group|alias|batch)$/;

type BodyRequest = FastifyRequest & { rawBody?: Buffer };

/**
 * The app's own body parser, for every content type, in place of Fastify's: bodies compressed with
 * `Content-Encoding: gzip`, `deflate` or `br` are decompressed first, with `bodyLimit` applied to the
 * decompressed size (a 413, so a small gzip bomb cannot grow in memory); an empty body is no body
 * (clients send `Content-Type: application/json` on a DELETE); JSON is checked, before anything
 * stringifies it, for what cannot be stored (NUL, lone surrogates), refused keys and nesting deeper
 * than {@link MAX_BODY_DEPTH}, each a 400 naming the field. The decompressed bytes stay on
 * `request.rawBody` (source webhooks verify signatures over them); form bodies are parsed as before.
 */
export function useRequestBodyParser(app: NestFastifyApplication, bodyLimit: number): void {
  app.getHttpAdapter().getInstance().removeAllContentTypeParsers();
  app.useBodyParser('*', { bodyLimit }, (request, body, done) => {
    try {
      done(null, parseBody(request as unknown as BodyRequest, body, bodyLimit));
    } catch (error) {
      done(error as Error);
    }
  });
}

function parseBody(request: BodyRequest, received: Buffer, bodyLimit: number): unknown {
  const bytes = decompress(received, String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase(), bodyLimit);
  request.rawBody = bytes;
  if (bytes.length === 0) return undefined;
  const contentType = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const path = (request.url ?? '').split('?')[0]!;
  if (JSON_WHATEVER_ITS_TYPE.test(path) || isJsonType(contentType)) return parseJson(bytes);
  if (contentType === 'application/x-www-form-urlencoded') return parseForm(bytes);
  if (contentType.startsWith('text/')) return bytes.toString('utf8');
  throw new ApiProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type ${contentType || '(none)'} is not accepted here; send application/json`);
}

function isJsonType(contentType: string): boolean {
  return contentType === '' || contentType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(contentType);
}

function decompress(bytes: Buffer, encoding: string, limit: number): Buffer {
  if (encoding === 'identity' || encoding === '' || bytes.length === 0) return bytes;
  const options = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return gunzipSync(bytes, options);
      case 'deflate':
        return inflate(bytes, options);
      case 'br':
        return brotliDecompressSync(bytes, options);
      default:
        throw new ApiProblem(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not accepted; send gzip, deflate, br or none`);
    }
  } catch (error) {
    if (error instanceof ApiProblem) throw error;
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ApiProblem(413, 'PAYLOAD_TOO_LARGE', `the body may be at most ${Math.round(limit / 1024)} KB once decompressed`);
    }
    throw new ApiProblem(400, 'BAD_REQUEST', `the body is not valid ${encoding} data (Content-Encoding: ${encoding})`);
  }
}

/** HTTP's deflate is zlib-wrapped; some clients send it raw. */
function inflate(bytes: Buffer, options: { maxOutputLength: number }): Buffer {
  try {
    return inflateSync(bytes, options);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
    return inflateRawSync(bytes, options);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ApiProblem(400, 'BAD_REQUEST', 'the body is not valid UTF-8');
  }
  const depth = maxNesting(text);
  if (depth > MAX_BODY_DEPTH) {
    throw validationProblem([{ field: '(body)', message: `is nested too deeply (at most ${MAX_BODY_DEPTH} levels of objects and arrays)` }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiProblem(400, 'BAD_REQUEST', `the body is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const problems = findJsonProblems(value, { maxDepth: MAX_BODY_DEPTH });
  if (problems.length) throw validationProblem(problems);
  return value;
}

/** The deepest nesting of objects and arrays in JSON text, counted in one pass without parsing (nor recursion). */
function maxNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

function parseForm(bytes: Buffer): Record<string, unknown> {
  const parsed = parseQuery(bytes.toString('utf8'));
  const problems = findJsonProblems(parsed, { maxDepth: MAX_BODY_DEPTH });
  if (problems.length) throw validationProblem(problems);
  return { ...parsed };
}
