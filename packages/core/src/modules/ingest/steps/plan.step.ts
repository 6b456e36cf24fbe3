import type { Identity } from '@portrait/connector-sdk';
import { timeOrderedUuid } from '../../../engine/database/time-ordered-uuid.js';
import { BatchResolver, materialized, root, type ProfileKind } from '../../identity/batch-resolver.js';
import type { IdentitySettings } from '../../identity/identity-settings.js';
import { KEY_SEPARATOR, recordKey, type IngestEntry, type PlaceEntry, type Placement } from '../ingest-entry.js';
import { uniqueBy } from '../utils/unique-by.js';
import type { KnownProfiles } from './resolve.step.js';

/** A merge of two stored profiles. */
export interface ProfileMerge {
  winner: string;
  loser: string;
  /** The profile that holds the loser's rows after the batch (the winner, or what the winner merged into). */
  survivor: string;
  /** The identifiers and the record of the fact that linked them. */
  linkedBy: Identity[];
  source: string;
  externalId: string;
}

/** An identity attached in this batch, as its statement reads it. */
export interface IdentityRow {
  type: string;
  value: string;
  profile_id: string;
  /** The profile it was first attached to (`origin_profile_id`). */
  origin: string;
  source: string;
}

/** An identifier not attached or not merged, as its statement reads it. */
export interface IdentityConflictRow {
  kept: string;
  type: string;
  value: string;
  source: string;
  external_id: string;
  reason: string;
}

/** What a batch writes, decided in memory from its entries and what the database knows. */
export interface BatchPlan {
  /** New profiles: groups created in this batch that did not fold into another. */
  created: { id: string; kind: ProfileKind }[];
  /** Merges of stored profiles (a profile created and merged away in this batch was never written). */
  merges: ProfileMerge[];
  /** Identities attached in this batch. */
  attached: IdentityRow[];
  /** Conflicts, for the admin to review. */
  conflicts: IdentityConflictRow[];
  /** Where each entry's record, events, consent and account link go. */
  place: PlaceEntry;
}

/**
 * Identity resolution of a batch, in memory (`BatchResolver`), over its entries and the stored
 * profiles they match: which profiles are created, which merge, which identities attach to which
 * profile, and where each entry's rows go.
 */
export function planBatch(settings: IdentitySettings, known: KnownProfiles, entries: IngestEntry[]): BatchPlan {
  const resolver = new BatchResolver(
    settings,
    known.profiles.map((p) => ({ id: p.id, kind: p.kind, createdAt: Number(p.created), identities: p.identities, firstName: p.first_name ?? undefined })),
    known.identityOwners.map((r) => ({ identity: { type: r.type, value: r.value }, profileId: r.profile_id })),
    known.recordOwners.map((r) => ({ recordKey: recordKey(r.source, r.external_id, r.kind), profileId: r.profile_id })),
    timeOrderedUuid,
  );
  const plan = resolver.plan(entries);
  const placements = new Map<IngestEntry, Placement>();
  entries.forEach((entry, i) => {
    const group = plan.factGroups[i]!;
    placements.set(entry, { profileId: root(group).id, originId: materialized(group).id });
  });
  return {
    created: uniqueBy(plan.factGroups.map(root).filter((g) => g.isNew), (g) => g.id).map((g) => ({ id: g.id, kind: g.kind })),
    merges: plan.merges
      .filter((m) => !m.loser.isNew)
      .map((m) => {
        const [source, externalId] = m.recordKey.split(KEY_SEPARATOR) as [string, string];
        return { winner: m.winner.id, loser: m.loser.id, survivor: root(m.loser).id, linkedBy: m.linkedBy, source, externalId };
      }),
    attached: plan.attached.map((a) => ({
      type: a.identity.type,
      value: a.identity.value,
      profile_id: root(a.group).id,
      origin: materialized(a.group).id,
      source: entries[a.factIndex]!.source,
    })),
    conflicts: plan.conflicts.map((c) => ({
      kept: materialized(root(c.keptProfile)).id,
      type: c.identity.type,
      value: c.identity.value,
      source: entries[c.factIndex]!.source,
      external_id: entries[c.factIndex]!.externalId,
      reason: c.reason,
    })),
    place: (entry) => placements.get(entry)!,
  };
}
