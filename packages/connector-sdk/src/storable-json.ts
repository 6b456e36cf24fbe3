/**
 * What PostgreSQL cannot store, or what must never reach an object as a key, found in a JSON-like
 * value before anything stringifies or stores it: a NUL character (refused by jsonb and text), a lone
 * UTF-16 surrogate (not valid Unicode, refused by jsonb), the keys `__proto__`, `constructor` and
 * `prototype`, and nesting deeper than `maxDepth`. The walk uses an explicit stack, never recursion,
 * so a value nested 100,000 levels deep is answered, not a stack overflow.
 */

/** One problem: the dotted path of the field (`properties.note`, `batch.0.traits`; `(body)` for the root) and what is wrong. */
export interface JsonProblem {
  field: string;
  message: string;
}

/** Keys refused anywhere in a payload: they would reach an object's prototype when copied. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
/** What could make text unstorable: a NUL, or any surrogate (most text has neither, and needs no closer look). */
const NUL_OR_SURROGATE = /[\u0000\ud800-\udfff]/;

/** Why PostgreSQL cannot store this text, or `undefined` when it can. */
export function unstorableTextReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (it holds a lone surrogate)';
  return undefined;
}

/** Whether PostgreSQL can store this text ({@link unstorableTextReason} answers why not), cheaply for the common case. */
export function isStorableText(text: string): boolean {
  return !NUL_OR_SURROGATE.test(text) || unstorableTextReason(text) === undefined;
}

/**
 * The problems of `value` (at most `limit`; an object's refused keys before the problems of its values);
 * an empty list when it can be stored.
 * Plain objects and arrays are walked; other objects (a `Date`) and primitives are leaves.
 */
export function findJsonProblems(value: unknown, options: { maxDepth: number; prefix?: string; limit?: number }): JsonProblem[] {
  const limit = options.limit ?? 20;
  const problems: JsonProblem[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: options.prefix ?? '', depth: 0 }];
  while (stack.length && problems.length < limit) {
    const { value: current, path, depth } = stack.pop()!;
    const field = path || '(body)';
    if (typeof current === 'string') {
      const reason = unstorableTextReason(current);
      if (reason) problems.push({ field, message: reason });
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    const isArray = Array.isArray(current);
    const proto = Object.getPrototypeOf(current);
    if (!isArray && proto !== Object.prototype && proto !== null) continue;
    if (depth >= options.maxDepth) {
      problems.push({ field, message: `is nested too deeply (at most ${options.maxDepth} levels of objects and arrays)` });
      continue;
    }
    const keys = Object.keys(current);
    const children: { value: unknown; path: string; depth: number }[] = [];
    for (const key of keys) {
      const childPath = path ? `${path}.${key}` : key;
      if (!isArray) {
        if (FORBIDDEN_KEYS.has(key)) {
          problems.push({ field: childPath, message: `key ${key} is not allowed` });
          continue;
        }
        const keyReason = unstorableTextReason(key);
        if (keyReason) {
          problems.push({ field: `${path ? `${path}.` : ''}${JSON.stringify(key)}`, message: `key ${keyReason}` });
          continue;
        }
      }
      children.push({ value: (current as Record<string, unknown>)[key], path: childPath, depth: depth + 1 });
    }
    // Reversed, so that the stack pops them in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return problems;
}

/** Years PostgreSQL's timestamptz holds and ISO-8601 writes with four digits. */
export const MIN_YEAR = 1;
export const MAX_YEAR = 9999;

/** Why a parsed date cannot be stored (outside years 0001–9999), or `undefined` when it can. */
export function unstorableDateReason(date: Date): string | undefined {
  const year = date.getUTCFullYear();
  return year < MIN_YEAR || year > MAX_YEAR ? 'must be a date between the years 0001 and 9999' : undefined;
}

/** Text PostgreSQL stores: NUL characters and lone surrogates replaced by U+FFFD. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(LONE_SURROGATES, '\ufffd');
}

/**
 * A copy of `value` that PostgreSQL's jsonb stores and `JSON.stringify` handles, for keeping a refused
 * record to look at (a dead letter): text made storable ({@link storableText}), values nested deeper
 * than `maxDepth` replaced by the string `[nested too deeply]`, built without recursion. Objects are
 * created without a prototype, so a `__proto__` key stays a plain key.
 */
export function toStorableJson(value: unknown, maxDepth = 64): unknown {
  const root: { value?: unknown } = {};
  const stack: { value: unknown; depth: number; assign: (copy: unknown) => void }[] = [{ value, depth: 0, assign: (copy) => (root.value = copy) }];
  while (stack.length) {
    const { value: current, depth, assign } = stack.pop()!;
    if (typeof current === 'string') assign(storableText(current));
    else if (typeof current !== 'object' || current === null || current instanceof Date) assign(current);
    else if (depth >= maxDepth) assign('[nested too deeply]');
    else if (Array.isArray(current)) {
      const copy: unknown[] = new Array(current.length).fill(null);
      assign(copy);
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], depth: depth + 1, assign: (c) => (copy[i] = c) });
    } else {
      const copy = Object.create(null) as Record<string, unknown>;
      assign(copy);
      const keys = Object.keys(current);
      // Keys defined now, in their order (values follow); without a prototype, `copy[key] =` never reaches one.
      for (const key of keys) copy[storableText(key)] = null;
      for (let i = keys.length - 1; i >= 0; i--) {
        const safeKey = storableText(keys[i]!);
        stack.push({ value: (current as Record<string, unknown>)[keys[i]!], depth: depth + 1, assign: (c) => (copy[safeKey] = c) });
      }
    }
  }
  return root.value;
}
