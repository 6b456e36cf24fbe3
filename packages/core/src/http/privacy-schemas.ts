import { z } from 'zod';
import { isoDateTime } from './schema-primitives.js';

/** A person's data export and erasure report, as both HTTP apps answer them. */

const rowsOf = (description: string) => z.array(z.record(z.string(), z.unknown())).describe(description);

export const profileExportSchema = z
  .object({
    profileId: z.uuid(),
    mergedProfileIds: z.array(z.uuid()).describe('Profiles merged into this one; their data is included'),
    exportedAt: isoDateTime,
    profile: z.record(z.string(), z.unknown()).describe('The profile row: traits, their sources, computed traits'),
    identities: rowsOf('Every identifier, with the source that brought it'),
    sourceRecords: rowsOf('What each source holds, with the time of each observation'),
    traitChanges: rowsOf('The history of trait changes'),
    events: rowsOf('Every event'),
    consents: rowsOf('Consent per purpose and source: the latest statement of each source'),
    consentHistory: rowsOf('Every consent statement, newest first per purpose'),
    accountLinks: rowsOf('Links to accounts (companies)'),
    merges: rowsOf('The merge log entries involving these profiles'),
    identityConflicts: rowsOf('Identifiers withheld from the profile by the identity rules'),
  })
  .meta({ id: 'ProfileExport', description: 'Everything held on a person (a data subject access request)' });

export const erasureReportSchema = z
  .object({
    profileId: z.uuid(),
    erasedProfileIds: z.array(z.uuid()).describe('The profile and every profile that had been merged into it'),
    deleted: z.record(z.string(), z.number().int()).describe('Rows deleted per table'),
  })
  .meta({ id: 'ErasureReport' });
