import { createHash } from 'node:crypto';
import { InvalidRecordError, validateFact, type ProfileFact } from '@portrait/connector-sdk';
import type { CsvConfig, CsvValueType } from './csv-config.js';
import { parseDate } from './csv-dates.js';

/**
 * Turns one CSV row into a ProfileFact following the column mapping. A row that cannot become a
 * valid fact (no identity, an unparsable date or number) throws an `InvalidRecordError` naming the
 * column and the value, which the stream yields as an `invalid` message.
 */

export interface RowMapper {
  map(fields: string[], location: string, fileObservedAt: string): ProfileFact;
}

type JsonScalar = string | number | boolean;

/** Header name as matched against the mapping: trimmed, case-insensitive. */
const normalizeHeader = (name: string) => name.trim().toLowerCase();

/** Builds the mapper for a file's header, or lists the mapped columns the header lacks. */
export function compileRowMapper(config: CsvConfig, header: string[]): { ok: true; mapper: RowMapper } | { ok: false; missing: string[] } {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    if (!index.has(normalizeHeader(name))) index.set(normalizeHeader(name), i);
  });
  const { mapping } = config;
  const wanted = [
    mapping.externalId,
    mapping.observedAt,
    ...Object.keys(mapping.identities),
    ...Object.keys(mapping.traits),
    mapping.event?.occurredAt,
    mapping.event?.typeColumn,
    mapping.event?.dedupeKey,
    ...Object.keys(mapping.event?.properties ?? {}),
    ...Object.keys(mapping.consent),
    ...Object.values(mapping.consent).map((target) => (typeof target === 'string' ? undefined : target.at)),
  ].filter((c): c is string => c !== undefined);
  const missing = [...new Set(wanted.filter((column) => !index.has(normalizeHeader(column))))];
  if (missing.length > 0) return { ok: false, missing };
  const at = (column: string) => index.get(normalizeHeader(column))!;

  const identities = Object.entries(mapping.identities).map(([column, type]) => ({ column, type, i: at(column) }));
  const traits = Object.entries(mapping.traits).map(([column, target]) =>
    typeof target === 'string' ? { column, key: target, type: 'string' as const, i: at(column) } : { column, key: target.trait, type: target.type, i: at(column) },
  );
  const consents = Object.entries(mapping.consent).map(([column, target]) =>
    typeof target === 'string' ? { column, purpose: target, i: at(column) } : { column, purpose: target.purpose, i: at(column), at: target.at },
  );
  const event = mapping.event;
  const properties = Object.entries(event?.properties ?? {}).map(([column, target]) =>
    typeof target === 'string'
      ? { column, key: target, type: 'string' as const, i: at(column) }
      : { column, key: target.property, type: target.type, i: at(column) },
  );

  const convert = (column: string, raw: string, type: CsvValueType, location: string, fields: string[]): JsonScalar => {
    const value = raw.trim();
    switch (type) {
      case 'string':
        return value;
      case 'number': {
        const number = Number(value.replace(/[\s_]/g, ''));
        if (!Number.isFinite(number)) throw new InvalidRecordError(`column "${column}": "${value}" is not a number`, fields, location);
        return number;
      }
      case 'boolean': {
        const lower = value.toLowerCase();
        if (['true', 'yes', 'y', '1'].includes(lower)) return true;
        if (['false', 'no', 'n', '0'].includes(lower)) return false;
        throw new InvalidRecordError(`column "${column}": "${value}" is not a yes/no value`, fields, location);
      }
      case 'date': {
        const date = parseDate(value, mapping.dateFormat);
        if (!date) throw new InvalidRecordError(`column "${column}": "${value}" is not a date (${mapping.dateFormat})`, fields, location);
        return date.dateOnly ?? date.iso;
      }
    }
  };

  const timestamp = (column: string, fields: string[], location: string): string => {
    const value = fields[at(column)]!.trim();
    if (value === '') throw new InvalidRecordError(`column "${column}": the date is missing`, fields, location);
    const date = parseDate(value, mapping.dateFormat);
    if (!date) throw new InvalidRecordError(`column "${column}": "${value}" is not a date (${mapping.dateFormat})`, fields, location);
    return date.iso;
  };

  const mapper: RowMapper = {
    map(fields, location, fileObservedAt) {
      if (fields.length !== header.length) {
        throw new InvalidRecordError(`expected ${header.length} columns, found ${fields.length}`, fields, location);
      }
      const ids = identities.flatMap(({ type, i }) => (fields[i]!.trim() ? [{ type, value: fields[i]!.trim() }] : []));
      if (ids.length === 0) {
        throw new InvalidRecordError(`no identity: ${identities.map((c) => `"${c.column}"`).join(', ')} ${identities.length > 1 ? 'are' : 'is'} empty`, fields, location);
      }
      let externalId: string;
      if (mapping.externalId) {
        externalId = fields[at(mapping.externalId)]!.trim();
        if (!externalId) throw new InvalidRecordError(`column "${mapping.externalId}": the record id is missing`, fields, location);
      } else {
        externalId = `row-${createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 32)}`;
      }
      const traitValues: Record<string, JsonScalar> = {};
      for (const trait of traits) {
        if (fields[trait.i]!.trim() !== '') traitValues[trait.key] = convert(trait.column, fields[trait.i]!, trait.type, location, fields);
      }
      const events: ProfileFact['events'] = [];
      let occurredAt: string | undefined;
      if (event) {
        occurredAt = timestamp(event.occurredAt, fields, location);
        const type = event.type ?? eventTypeOf(fields[at(event.typeColumn!)]!);
        if (!type) throw new InvalidRecordError(`column "${event.typeColumn}": the event type is missing`, fields, location);
        const props: Record<string, JsonScalar> = {};
        for (const property of properties) {
          if (fields[property.i]!.trim() !== '') props[property.key] = convert(property.column, fields[property.i]!, property.type, location, fields);
        }
        const dedupe = event.dedupeKey ? fields[at(event.dedupeKey)]!.trim() : '';
        events.push({ type, occurredAt, properties: props, dedupeKey: dedupe || `${type}:${externalId}` });
      }
      const observedAt = mapping.observedAt ? timestamp(mapping.observedAt, fields, location) : (occurredAt ?? fileObservedAt);
      const consent: ProfileFact['consent'] = [];
      for (const target of consents) {
        const value = fields[target.i]!.trim();
        if (value === '') continue;
        const granted = consentValueOf(value);
        if (granted === undefined) throw new InvalidRecordError(`column "${target.column}": "${value}" is not a yes/no consent`, fields, location);
        consent.push({ purpose: target.purpose, granted, at: target.at ? timestamp(target.at, fields, location) : observedAt });
      }
      const validation = validateFact({
        source: config.source,
        externalId,
        kind: config.kind,
        identities: ids,
        traits: traitValues,
        events,
        consent,
        observedAt,
      });
      if (!validation.ok) throw new InvalidRecordError(validation.reason, fields, location);
      return validation.fact;
    },
  };
  return { ok: true, mapper };
}

const GRANTED = new Set(['yes', 'y', 'true', '1', 'granted', 'opted in', 'opt-in', 'opt in', 'subscribed']);
const DENIED = new Set(['no', 'n', 'false', '0', 'denied', 'opted out', 'opt-out', 'opt out', 'unsubscribed']);

/** A consent cell as granted (true) or denied (false); undefined when it is neither. */
function consentValueOf(value: string): boolean | undefined {
  const lower = value.toLowerCase().replace(/\s+/g, ' ');
  if (GRANTED.has(lower)) return true;
  if (DENIED.has(lower)) return false;
  return undefined;
}

/** `Store visit` / `store-visit` → `store_visit`; empty when nothing usable is left. */
export function eventTypeOf(value: string): string {
  const type = value
    .trim()
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(type) ? type.slice(0, 64) : type ? `event_${type}`.slice(0, 64) : '';
}
