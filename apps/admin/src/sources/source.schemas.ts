import { MAX_RETRY_IDS } from '@portrait/core';
import { isoDateTime } from '@portrait/core/http';
import { z } from 'zod';

const config = z
  .record(z.string(), z.unknown(), { error: 'must be an object' })
  .describe("The connector's configuration, checked field by field against its JSON Schema (`GET /admin/api/connectors`)");
const schedule = z.string({ error: 'must be a string' }).describe('A cron expression of 5 fields (or 6 with seconds first), e.g. `*/15 * * * *`');

export const sourceSchema = z
  .object({
    id: z.uuid(),
    connectorId: z.string(),
    name: z.string(),
    config: z
      .record(z.string(), z.unknown())
      .describe('The configuration; every secret field that is set reads `********` (its value is sealed at rest and never answered)'),
    schedule: z.string().describe('When it syncs, as a cron expression'),
    enabled: z.boolean().describe('Whether it syncs on its schedule'),
    status: z.enum(['ok', 'needs_attention']).describe('`needs_attention` when a run failed for a reason an admin must fix (credentials, configuration, secret key)'),
    statusReason: z.string().nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Source', description: 'A source: a connector and its configuration' });

export const sourceListSchema = z.object({ data: z.array(sourceSchema).describe('Oldest first') }).meta({ id: 'SourceList' });

export const createSourceSchema = z
  .object({
    connectorId: z.string({ error: 'must be a string' }).min(1, 'must not be empty').describe('An installed connector (`GET /admin/api/connectors`)'),
    name: z.string({ error: 'must be a string' }).describe('Unique in the workspace'),
    config,
    schedule: schedule.optional().describe("A cron expression; the connector's default schedule when absent"),
    enabled: z.boolean({ error: 'must be true or false' }).optional().describe('Whether it syncs on its schedule (default true)'),
  })
  .meta({ id: 'CreateSource' });

export const updateSourceSchema = z
  .object({
    name: z.string({ error: 'must be a string' }).optional(),
    config: config
      .optional()
      .describe('The whole configuration. A secret field left out, or sent as `********`, keeps its stored value; a new value replaces it'),
  })
  .meta({ id: 'UpdateSource', description: 'The fields to change' });

export const scheduleSchema = z.object({ schedule }).meta({ id: 'SourceSchedule' });

export const checkResultSchema = z
  .object({ ok: z.boolean(), reason: z.string().optional().describe('Why the connection failed, without secrets (when not ok)') })
  .meta({ id: 'SourceCheck', description: "The outcome of the connector's connection check" });

export const syncRequestSchema = z
  .object({ mode: z.enum(['incremental', 'full'], { error: 'must be incremental or full' }).optional().describe('`incremental` (default) continues from the last checkpoints; `full` reads everything again') })
  .optional()
  .meta({ id: 'SyncRequest' });

const streamStatsSchema = z
  .object({
    read: z.number().int().describe('Records read: facts and invalid records'),
    created: z.number().int().describe('Profiles created'),
    updated: z.number().int().describe('Profiles updated'),
    merged: z.number().int().describe('Profiles merged'),
    events: z.number().int().describe('Events stored (replays deduplicated away are not counted)'),
    rejected: z.number().int().describe('Facts the ingest refused'),
    deadLettered: z.number().int().describe('Invalid records and refused facts, kept as dead letters'),
    suppressed: z.number().int().describe('Facts of erased people (a suppressed identifier): neither stored nor kept'),
  })
  .meta({ id: 'StreamStats' });

export const runTotalsSchema = z
  .object({
    read: z.number().int().describe('Records read, all streams'),
    stored: z.number().int().describe('Records stored: read, neither dead-lettered nor suppressed'),
    deadLettered: z.number().int(),
    suppressed: z.number().int().describe('Facts of erased people, dropped'),
  })
  .meta({ id: 'RunTotals' });

export const runSchema = z
  .object({
    id: z.uuid(),
    sourceId: z.uuid(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    trigger: z.enum(['schedule', 'manual', 'webhook']),
    mode: z.enum(['full', 'incremental']),
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
    durationMs: z.number().int().nullable(),
    currentStream: z.string().nullable().describe('The stream being read (the last one read, once ended)'),
    stats: z.record(z.string(), streamStatsSchema).describe('Counts per stream'),
    totals: runTotalsSchema,
    warnings: z.array(z.object({ message: z.string(), count: z.number().int() })).describe("What the connector warned about, once per message"),
    error: z.string().nullable().describe('Why a failed run failed (without secrets)'),
    retryable: z.boolean().describe('A failure that may pass (rate limit, 5xx, network): the schedule tries again'),
    cancelRequested: z.boolean().describe('A cancel was asked for: a running run stops at its next batch'),
  })
  .meta({ id: 'SyncRun', description: 'A sync run of a source' });

export const runPageSchema = z
  .object({ data: z.array(runSchema).describe('Newest first'), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'SyncRunPage' });

const deadLetterFields = {
  id: z.uuid(),
  runId: z.uuid().nullable(),
  stream: z.string().nullable(),
  reason: z.string().describe('Why the record could not be stored'),
  location: z.string().nullable().describe('Where it was: `visits.csv line 5`, `fact 3 of a rows batch`'),
  createdAt: isoDateTime,
};

export const deadLetterPageSchema = z
  .object({
    data: z.array(z.object(deadLetterFields).meta({ id: 'DeadLetterSummary', description: 'A dead letter without its payload' })).describe('In the order they were written'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'DeadLetterPage' });

export const deadLetterSchema = z
  .object({ ...deadLetterFields, payload: z.unknown().describe('The record as it came from the channel (personal data: reading it is audited)') })
  .meta({ id: 'DeadLetter' });

export const retryDeadLettersSchema = z
  .object({
    ids: z
      .array(z.uuid())
      .min(1)
      .max(MAX_RETRY_IDS)
      .optional()
      .describe(`The dead letters to retry (at most ${MAX_RETRY_IDS}); without it, every dead letter of the run`),
  })
  .strict()
  .optional()
  .meta({ id: 'RetryDeadLetters' });

const deadLetterReason = z.object({ id: z.uuid(), reason: z.string() });

export const deadLetterRetrySchema = z
  .object({
    retried: z.number().int().describe('Dead letters whose record is a fact, submitted to the ingest again'),
    stored: z.number().int().describe('Of those, stored now: their dead letters are deleted'),
    refused: z.array(deadLetterReason).describe('Still refused: each dead letter is kept with the reason the ingest gives today'),
    notRetryable: z
      .array(deadLetterReason)
      .describe('Records that are not a fact (the connector could not read them): kept as they were; correct them at the channel and sync again'),
  })
  .meta({ id: 'DeadLetterRetry' });
