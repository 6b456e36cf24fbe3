import type { Identity } from '@portrait/connector-sdk';
import { settingFor, type IdentitySettings } from './identity-settings.js';

/**
 * Identity resolution for one batch, in memory, over the batch's facts and the profiles they match in
 * the database. Deterministic, Segment-style rules:
 * - a fact matching no profile creates one; matching one attaches its new identifiers to it;
 *   matching several merges them (the oldest profile survives);
 * - a merge or attachment that would take a profile over an identifier type's limit does not happen:
 *   the fact's lowest-priority identifier is dropped (and recorded as a conflict) and the match is
 *   tried again, so the match on the highest-priority identifier wins;
 * - profiles of different kinds (person / account) never merge.
 * The record key (source + external id) is the strongest match: a record always stays with its profile.
 */

export type ProfileKind = 'person' | 'account';

export interface ResolverFact {
  kind: ProfileKind;
  /** `${source}\u0000${externalId}\u0000${kind}` */
  recordKey: string;
  identities: Identity[];
}

export interface ExistingProfile {
  id: string;
  kind: ProfileKind;
  /** Order of creation: lower is older. */
  createdAt: number;
  identities: Identity[];
}

export interface Group {
  id: string;
  kind: ProfileKind;
  isNew: boolean;
  createdAt: number;
  identities: Map<string, Set<string>>;
  /** Set when this group was merged into another in this batch. */
  mergedInto?: Group;
}

export interface PlannedMerge {
  winner: Group;
  loser: Group;
  /** The identifiers (and record) of the fact that linked them. */
  linkedBy: Identity[];
  recordKey: string;
}

export interface IdentityConflict {
  factIndex: number;
  identity: Identity;
  keptProfile: Group;
  reason: string;
}

export interface AttachedIdentity {
  identity: Identity;
  /** The fact that brought it. */
  factIndex: number;
  /** The group it was attached to when first seen (for `origin_profile_id`). */
  group: Group;
}

export interface ResolutionPlan {
  /** The group of each fact, by index (resolve with `root`). */
  factGroups: Group[];
  merges: PlannedMerge[];
  attached: AttachedIdentity[];
  conflicts: IdentityConflict[];
}

const key = (type: string, value: string) => `${type}\u0000${value}`;

export class BatchResolver {
  private readonly identityOwner = new Map<string, Group>();
  private readonly recordOwner = new Map<string, Group>();
  private readonly groups = new Map<string, Group>();
  private newCount = 0;

  constructor(
    private readonly settings: IdentitySettings,
    existing: ExistingProfile[],
    existingIdentityOwners: { identity: Identity; profileId: string }[],
    existingRecordOwners: { recordKey: string; profileId: string }[],
    private readonly newId: () => string,
  ) {
    for (const profile of existing) {
      const group: Group = { id: profile.id, kind: profile.kind, isNew: false, createdAt: profile.createdAt, identities: new Map() };
      for (const identity of profile.identities) addIdentity(group, identity);
      this.groups.set(profile.id, group);
    }
    for (const { identity, profileId } of existingIdentityOwners) {
      const group = this.groups.get(profileId);
      if (group) this.identityOwner.set(key(identity.type, identity.value), group);
    }
    for (const { recordKey, profileId } of existingRecordOwners) {
      const group = this.groups.get(profileId);
      if (group) this.recordOwner.set(recordKey, group);
    }
  }

  plan(facts: ResolverFact[]): ResolutionPlan {
    const plan: ResolutionPlan = { factGroups: [], merges: [], attached: [], conflicts: [] };
    facts.forEach((fact, index) => plan.factGroups.push(this.resolveFact(fact, index, plan)));
    return plan;
  }

  private resolveFact(fact: ResolverFact, factIndex: number, plan: ResolutionPlan): Group {
    // Highest priority first; ties by type then value so the outcome never depends on input order.
    let candidates = dedupe(fact.identities).sort((a, b) => this.compare(a, b));
    const recordGroup = this.recordOwner.get(fact.recordKey);

    for (;;) {
      const matched = new Map<string, Group>();
      const record = recordGroup ? root(recordGroup) : undefined;
      if (record) matched.set(record.id, record);
      const foreignKind: Identity[] = [];
      for (const identity of candidates) {
        const owner = this.identityOwner.get(key(identity.type, identity.value));
        if (!owner) continue;
        const group = root(owner);
        if (group.kind !== fact.kind) foreignKind.push(identity);
        else matched.set(group.id, group);
      }
      if (foreignKind.length) {
        const kept = matched.values().next().value as Group | undefined;
        for (const identity of foreignKind) {
          plan.conflicts.push({
            factIndex,
            identity,
            keptProfile: kept ?? root(this.identityOwner.get(key(identity.type, identity.value))!),
            reason: `${identity.type} belongs to a profile of another kind`,
          });
        }
        candidates = candidates.filter((c) => !foreignKind.includes(c));
        continue;
      }

      const groups = [...matched.values()];
      if (groups.length === 0) {
        const group = this.newGroup(fact.kind);
        this.attach(group, candidates, plan, factIndex);
        this.recordOwner.set(fact.recordKey, group);
        return group;
      }
      if (!this.breaksLimits(groups, candidates)) {
        groups.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
        const [winner, ...losers] = groups as [Group, ...Group[]];
        for (const loser of losers) {
          const linkedBy = candidates.filter((c) => {
            const owner = this.identityOwner.get(key(c.type, c.value));
            return owner !== undefined && root(owner) === loser;
          });
          loser.mergedInto = winner;
          for (const [type, values] of loser.identities) for (const value of values) addIdentity(winner, { type, value });
          plan.merges.push({ winner, loser, linkedBy, recordKey: fact.recordKey });
        }
        this.attach(winner, candidates, plan, factIndex);
        if (!recordGroup) this.recordOwner.set(fact.recordKey, winner);
        return winner;
      }
      // Would break a limit: the lowest-priority identifier gives way, and the match is tried again.
      const dropped = candidates.pop()!;
      const owner = this.identityOwner.get(key(dropped.type, dropped.value));
      plan.conflicts.push({
        factIndex,
        identity: dropped,
        keptProfile: owner ? root(owner) : groups[0]!,
        reason: owner
          ? `not merged: linking ${dropped.type} would take a profile over an identifier limit`
          : `not attached: ${dropped.type} would exceed its limit of ${settingFor(this.settings, dropped.type).limit}`,
      });
    }
  }

  /** True when the union of the groups and the new identifiers has more values of a type than allowed — and more than any one group already had. */
  private breaksLimits(groups: Group[], candidates: Identity[]): boolean {
    const union = new Map<string, Set<string>>();
    for (const group of groups) for (const [type, values] of group.identities) for (const v of values) getSet(union, type).add(v);
    for (const c of candidates) getSet(union, c.type).add(c.value);
    for (const [type, values] of union) {
      const { limit } = settingFor(this.settings, type);
      if (values.size <= limit) continue;
      const before = Math.max(...groups.map((g) => g.identities.get(type)?.size ?? 0));
      if (values.size > before) return true;
    }
    return false;
  }

  private attach(group: Group, identities: Identity[], plan: ResolutionPlan, factIndex: number): void {
    for (const identity of identities) {
      const k = key(identity.type, identity.value);
      if (this.identityOwner.has(k)) continue;
      this.identityOwner.set(k, group);
      addIdentity(group, identity);
      plan.attached.push({ identity, group, factIndex });
    }
  }

  private newGroup(kind: ProfileKind): Group {
    const group: Group = { id: this.newId(), kind, isNew: true, createdAt: Number.MAX_SAFE_INTEGER / 2 + this.newCount++, identities: new Map() };
    this.groups.set(group.id, group);
    return group;
  }

  private compare(a: Identity, b: Identity): number {
    return (
      settingFor(this.settings, a.type).priority - settingFor(this.settings, b.type).priority ||
      a.type.localeCompare(b.type) ||
      a.value.localeCompare(b.value)
    );
  }
}

/** The surviving group of `group` after this batch's merges. */
export function root(group: Group): Group {
  let current = group;
  while (current.mergedInto) current = current.mergedInto;
  return current;
}

/** The group that will exist in the database for rows first attached to `group`: itself, or the group a new one folded into. */
export function materialized(group: Group): Group {
  let current = group;
  while (current.isNew && current.mergedInto) current = current.mergedInto;
  return current;
}

function addIdentity(group: Group, { type, value }: Identity): void {
  getSet(group.identities, type).add(value);
}

function getSet(map: Map<string, Set<string>>, type: string): Set<string> {
  let set = map.get(type);
  if (!set) map.set(type, (set = new Set()));
  return set;
}

function dedupe(identities: Identity[]): Identity[] {
  const seen = new Set<string>();
  return identities.filter((i) => {
    const k = key(i.type, i.value);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
