import type { ProfileFact } from '@portrait/connector-sdk';
import type { ProfileKind, ResolverFact } from '../identity/batch-resolver.js';

/** A fact of the batch once validated and its identities normalized; a person's account is an entry of its own. */
export interface IngestEntry extends ResolverFact {
  /** Position of the fact in the batch (an account's entry has its person's). */
  index: number;
  source: string;
  externalId: string;
  observedAt: string;
  traits: Record<string, unknown>;
  /** Traits the ingest normalized (`email`, `phone`): the value as the source sent it, kept with the observation. */
  rawTraits?: Record<string, unknown>;
  events: ProfileFact['events'];
  consent: ProfileFact['consent'];
  /** For a person with an account: the account's entry. */
  account?: IngestEntry;
}

/** Where the rows of an entry go, once the batch's identities are resolved. */
export interface Placement {
  /** The profile that holds them after this batch's merges. */
  profileId: string;
  /** The profile they were first written for (`origin_profile_id`: where an unmerge takes them back). */
  originId: string;
}

export type PlaceEntry = (entry: IngestEntry) => Placement;

/** Joins the parts of the composite keys of a batch (record keys, the deduplication of rows). */
export const KEY_SEPARATOR = '\u0000';

/** The key of a source's record: the strongest match of identity resolution. */
export function recordKey(source: string, externalId: string, kind: ProfileKind): string {
  return [source, externalId, kind].join(KEY_SEPARATOR);
}
