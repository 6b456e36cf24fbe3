import type { Identity } from '@portrait/connector-sdk';
import { settingFor, type IdentitySettings } from './identity-settings.js';

/**
 * Identity resolution for one batch, in memory, over the batch's facts and the profiles they match in
 * the database. Deterministic, Segment-style rules:
 * - a fact matching no profile creates one; matching one attaches its new identifiers to it;
 *   matching several merges them (the oldest profile survives);
 * - the fact's identifiers are weighed one by one, highest priority first: one that would take a
 *   profile over an identifier type's limit is refused (and recorded as a conflict), so the match on
 *   the highest-priority identifier wins and the others still attach;
 * - a match on an identifier a household may share (`nameGuard`: e-mail, phone) is refused when the
 *   first names on both sides differ, unless the record or an unshared identifier already places the
 *   fact on that profile;
 * - profiles of different kinds (person / account) never merge.
 * The record key (source + external id) is the strongest match: a record always stays with its profile.
 */

export type ProfileKind = 'person' | 'account';

export interface ResolverFact {
  kind: ProfileKind;
  /** `${source}\u0000${externalId}\u0000${kind}` */
  recordKey: string;
  identities: Identity[];
  /** The first name the fact states: a match on a name-guarded identifier (one a household shares) is refused when it differs. */
  firstName?: string;
}

export interface ExistingProfile {
  id: string;
  kind: ProfileKind;
  /** Order of creation: lower is older. */
  createdAt: number;
  identities: Identity[];
  firstName?: string;
}

export interface Group {
  id: string;
  kind: ProfileKind;
  isNew: boolean;
  createdAt: number;
  identities: Map<string, Set<string>>;
  /** The first names it was seen with (normalized). */
  firstNames: Set<string>;
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
  private readonly nameGuarded: Set<string>;

  constructor(
    private readonly settings: IdentitySettings,
    existing: ExistingProfile[],
    existingIdentityOwners: { identity: Identity; profileId: string }[],
    existingRecordOwners: { recordKey: string; profileId: string }[],
    private readonly newId: () => string,
  ) {
    this.nameGuarded = new Set(settings.nameGuard);
    for (const profile of existing) {
      const firstName = normalizeFirstName(profile.firstName);
      const group: Group = { id: profile.id, kind: profile.kind, isNew: false, createdAt: profile.createdAt, identities: new Map(), firstNames: new Set(firstName ? [firstName] : []) };
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
    const candidates = dedupe(fact.identities).sort((a, b) => this.compare(a, b));
    const recordGroup = this.recordOwner.get(fact.recordKey);
    const record = recordGroup ? root(recordGroup) : undefined;
    const firstName = normalizeFirstName(fact.firstName);
    const ownerOf = (identity: Identity) => {
      const owner = this.identityOwner.get(key(identity.type, identity.value));
      return owner ? root(owner) : undefined;
    };
    // The profiles the fact belongs to whatever its first name says: its record's, and those of identifiers no household shares.
    const vouched = new Set<Group>(record ? [record] : []);
    for (const identity of candidates) {
      const owner = ownerOf(identity);
      if (owner && owner.kind === fact.kind && !this.nameGuarded.has(identity.type)) vouched.add(owner);
    }
    // Who the fact is, by first name: its own, and those of the profiles it certainly belongs to.
    const names = new Set<string>(firstName ? [firstName] : []);
    for (const group of vouched) for (const name of group.firstNames) names.add(name);

    // Each identifier in turn, strongest first, joins the match unless it would break a rule: a weaker
    // identifier never undoes what a stronger one decided, and one that matches nothing new is kept.
    const groups: Group[] = record ? [record] : [];
    const accepted: Identity[] = [];
    const refuse = (identity: Identity, keptProfile: Group, reason: string) => plan.conflicts.push({ factIndex, identity, keptProfile, reason });
    for (const identity of candidates) {
      const owner = ownerOf(identity);
      if (owner && owner.kind !== fact.kind) {
        refuse(identity, groups[0] ?? owner, `${identity.type} belongs to a profile of another kind`);
      } else if (owner && !groups.includes(owner)) {
        if (!vouched.has(owner) && this.nameGuarded.has(identity.type) && !firstNamesAgree(owner.firstNames, names)) {
          refuse(identity, owner, `not merged: ${identity.type} is shared by people of different first names`);
        } else if (this.breaksLimits([...groups, owner], [...accepted, identity])) {
          refuse(identity, owner, `not merged: linking ${identity.type} would take a profile over an identifier limit`);
        } else {
          groups.push(owner);
          accepted.push(identity);
          for (const name of owner.firstNames) names.add(name);
        }
      } else if (!owner && groups.length > 0 && this.breaksLimits(groups, [...accepted, identity])) {
        refuse(identity, groups[0]!, `not attached: ${identity.type} would exceed its limit of ${settingFor(this.settings, identity.type).limit}`);
      } else {
        accepted.push(identity);
      }
    }

    if (groups.length === 0) {
      const group = this.newGroup(fact.kind);
      this.attach(group, accepted, plan, factIndex);
      if (firstName) group.firstNames.add(firstName);
      this.recordOwner.set(fact.recordKey, group);
      return group;
    }
    groups.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const [winner, ...losers] = groups as [Group, ...Group[]];
    for (const loser of losers) {
      const linkedBy = accepted.filter((c) => ownerOf(c) === loser);
      loser.mergedInto = winner;
      for (const [type, values] of loser.identities) for (const value of values) addIdentity(winner, { type, value });
      for (const name of loser.firstNames) winner.firstNames.add(name);
      plan.merges.push({ winner, loser, linkedBy, recordKey: fact.recordKey });
    }
    this.attach(winner, accepted, plan, factIndex);
    if (firstName) winner.firstNames.add(firstName);
    if (!recordGroup) this.recordOwner.set(fact.recordKey, winner);
    return winner;
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
    const group: Group = { id: this.newId(), kind, isNew: true, createdAt: Number.MAX_SAFE_INTEGER / 2 + this.newCount++, identities: new Map(), firstNames: new Set() };
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

/** A first name as compared: letters only, without accents, lower case (`José-María` → `josemaria`); undefined when none is left. */
export function normalizeFirstName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const letters = name.normalize('NFKD').replace(/[^\p{L}]/gu, '').toLowerCase();
  return letters || undefined;
}

/**
 * Whether two sets of first names can be the same person's: either is empty, or a name of one is a
 * name of the other as people write their own — the same, a short form or an initial (`Rob`, `R` for
 * `Robert`), or with a typo: one letter swapped, dropped, doubled or changed when the longer name has
 * four letters or more, two when both have seven or more.
 */
export function firstNamesAgree(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size === 0 || b.size === 0) return true;
  for (const x of a) {
    for (const y of b) {
      if (x.startsWith(y) || y.startsWith(x)) return true;
      const allowed = Math.min(x.length, y.length) >= 7 ? 2 : Math.max(x.length, y.length) >= 4 ? 1 : 0;
      if (allowed > 0 && editDistance(x, y, allowed) <= allowed) return true;
    }
  }
  return false;
}

/** Optimal-string-alignment distance (substitutions, insertions, deletions, swaps of adjacent letters), counted up to `max + 1`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous2: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, previous2[j - 2]! + 1);
      current.push(d);
    }
    if (Math.min(...current) > max) return max + 1;
    previous2 = previous;
    previous = current;
  }
  return previous[b.length]!;
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
