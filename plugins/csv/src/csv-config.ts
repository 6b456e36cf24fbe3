import { EVENT_TYPE, IDENTITY_TYPE, SOURCE_ID, TRAIT_KEY } from '@portrait/connector-sdk';
import { z } from 'zod';

/**
 * Configuration of a CSV source: where the files are, and which column becomes what. Column names
 * match the header case-insensitively, ignoring surrounding spaces.
 */

const column = z.string().trim().min(1, 'must name a column');
const valueType = z.enum(['string', 'number', 'boolean', 'date']);

const traitTarget = z.union([
  z.string().regex(TRAIT_KEY, 'must be a trait key, e.g. first_name or loyalty.tier'),
  z.object({ trait: z.string().regex(TRAIT_KEY, 'must be a trait key, e.g. first_name'), type: valueType.default('string') }),
]);

const propertyTarget = z.union([
  z.string().min(1),
  z.object({ property: z.string().min(1), type: valueType.default('string') }),
]);

export const csvEventMappingSchema = z
  .object({
    /** A fixed event type for every row: `store_visited`. */
    type: z.string().regex(EVENT_TYPE, 'must be lower snake case, e.g. store_visited').optional(),
    /** Or the column holding the event type (`Event attended` → `event_attended`). */
    typeColumn: column.optional(),
    /** Column with the date (and time) of the event. */
    occurredAt: column,
    /** Column → event property name, with an optional value type. */
    properties: z.record(column, propertyTarget).default({}),
    /** Column whose value identifies the event in the source (defaults to the row's id). */
    dedupeKey: column.optional(),
  })
  .refine((event) => (event.type === undefined) !== (event.typeColumn === undefined), {
    message: 'give either type or typeColumn',
    path: ['type'],
  });

export const csvMappingSchema = z.object({
  /** Column with the record's id in the source; without it a row is identified by a hash of its content. */
  externalId: column.optional(),
  /** Column → identity type: `{ "E-mail": "email", "Card number": "loyalty_card_id" }`. */
  identities: z
    .record(column, z.string().regex(IDENTITY_TYPE, 'must be an identity type, e.g. email'))
    .refine((identities) => Object.keys(identities).length > 0, 'map at least one column to an identity'),
  /** Column → trait key (or `{ trait, type }`). */
  traits: z.record(column, traitTarget).default({}),
  /** Makes each row an event of the profile (a store visit, an event attended, a mailing received). */
  event: csvEventMappingSchema.optional(),
  /**
   * Column → consent purpose: `{ "Newsletter opt-in": "email_marketing" }`. The column holds a yes/no
   * value (yes, y, true, 1, granted, opted in / no, n, false, 0, denied, opted out); an empty cell says
   * nothing. The consent is dated by the row's `observedAt`, or `{ purpose, at }` names a column with
   * the date the person decided.
   */
  consent: z
    .record(
      column,
      z.union([
        z.string().regex(IDENTITY_TYPE, 'must be a consent purpose, e.g. email_marketing'),
        z.object({ purpose: z.string().regex(IDENTITY_TYPE, 'must be a consent purpose, e.g. email_marketing'), at: column.optional() }),
      ]),
    )
    .default({}),
  /** Column with when the row was true; defaults to the event date, else the file's modification time. */
  observedAt: column.optional(),
  /** How dates without an ISO-8601 shape are written: `dmy` = 31/12/2025, `mdy` = 12/31/2025. Times are UTC unless they carry an offset. */
  dateFormat: z.enum(['iso', 'dmy', 'mdy']).default('iso'),
});

export const csvConfigSchema = z
  .object({
    /** The source id written on every fact: `csv-store-visits`. */
    source: z.string().regex(SOURCE_ID, 'must be a lower-case source id, e.g. csv-store-visits').default('csv'),
    /** A directory whose files (with one of `extensions`) are imported in name order. */
    directory: z.string().min(1).optional(),
    /** Or an explicit list of files. */
    files: z.array(z.string().min(1)).min(1).optional(),
    extensions: z.array(z.string().regex(/^\.[A-Za-z0-9]+$/, 'e.g. .csv')).min(1).default(['.csv']),
    delimiter: z.string().length(1).default(','),
    kind: z.enum(['person', 'account']).default('person'),
    /** Rows per batch of facts; a checkpoint follows each batch. */
    batchSize: z.number().int().min(1).max(10_000).default(500),
    mapping: csvMappingSchema,
  })
  .refine((config) => (config.directory === undefined) !== (config.files === undefined), {
    message: 'give either directory or files',
    path: ['directory'],
  });

export type CsvConfig = z.infer<typeof csvConfigSchema>;
export type CsvConfigInput = z.input<typeof csvConfigSchema>;
export type CsvMapping = z.infer<typeof csvMappingSchema>;
export type CsvValueType = z.infer<typeof valueType>;
