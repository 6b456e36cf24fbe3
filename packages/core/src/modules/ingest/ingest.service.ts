import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { validateFact, type Identity, type ProfileFact } from '@portrait/connector-sdk';
import { disableJit, inTransaction, lockProfileRows, lockWorkspaceProfiles, rows } from '../../engine/database/sql.js';
import { timeOrderedUuid } from '../../engine/database/time-ordered-uuid.js';
import { BatchResolver, materialized, root, type ProfileKind, type ResolverFact } from '../identity/batch-resolver.js';
import { IdentityNormalizer } from '../identity/identity-normalizer.js';
import { ProfileChangesService, type ProfileChange } from '../profiles/profile-changes.service.js';
import { ProfileRecomputeService } from '../profiles/profile-recompute.service.js';
import { ProfileSettingsService, type ProfileSettings } from '../profiles/profile-settings.service.js';

export interface IngestRejection {
  /** Position of the fact in the batch. */
  index: number;
  source?: string;
  externalId?: string;
  reason: string;
}

export interface IngestResult {
  received: number;
  /** New profiles (people and accounts). */
  created: number;
  /** Existing profiles whose identities, traits, events or consent changed. */
  updated: number;
  /** Existing profiles merged into another in this batch. */
  merged: number;
  eventsInserted: number;
  eventsDeduplicated: number;
  rejected: number;
  rejections: IngestRejection[];
  /** Identifiers not attached or not merged because of a limit or a kind mismatch. */
  conflicts: number;
  /** Identifiers dropped while normalizing (blocked or malformed) from facts that were kept. */
  warnings: string[];
  /** The committed change (published by `complete()`). */
  change: ProfileChange;
  /** The queued recompute of the changed profiles' traits, which `complete()` runs (an internal id). */
  pendingRecompute?: string;
}

export interface IngestOptions {
  /**
   * Run inside this transaction (the caller commits — e.g. the sync engine, which commits the batch
   * and its checkpoint together) and call `complete(result)` after commit.
   */
  transaction?: QueryRunner;
}

interface Entry extends ResolverFact {
  index: number;
  source: string;
  externalId: string;
  observedAt: string;
  traits: Record<string, unknown>;
  events: ProfileFact['events'];
  consent: ProfileFact['consent'];
  /** For a person with an account: the account's entry. */
  account?: Entry;
}

const SEP = '\u0000';

/**
 * The single entry point of every source's data. A batch costs a constant number of statements
 * whatever its size: validate and normalize in memory; then, in one transaction serialized per
 * workspace, look up the identities and records it mentions, resolve identities in memory, and write
 * profiles, merges, identities, records, events, consent and account links with set-based statements,
 * and queue the profiles that changed. Once that commits (and the lock is free for the next batch),
 * `complete` recomputes their traits and computed traits, then publishes the change.
 */
@Injectable()
export class IngestService {
  private readonly logger = new Logger(IngestService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settingsService: ProfileSettingsService,
    private readonly changes: ProfileChangesService,
    private readonly recomputer: ProfileRecomputeService,
  ) {}

  async ingest(workspaceId: string, facts: unknown[], options: IngestOptions = {}): Promise<IngestResult> {
    const result = await inTransaction(
      this.dataSource,
      async (runner) => this.ingestIn(runner, workspaceId, facts, await this.settingsService.get(workspaceId, runner.manager)),
      options.transaction,
    );
    if (!options.transaction) await this.complete(result);
    return result;
  }

  /**
   * After the batch's transaction committed: recomputes the traits of the profiles it changed, then
   * publishes the change. A recompute that fails is logged and stays queued for the worker's sweep: the
   * batch itself is stored.
   */
  async complete(result: IngestResult): Promise<void> {
    let change = result.change;
    if (result.pendingRecompute) {
      try {
        change = { ...change, recomputed: await this.recomputer.runQueued(result.pendingRecompute) };
      } catch (error) {
        this.logger.error({ err: error, workspaceId: change.workspaceId }, 'recomputing the traits of an ingest batch failed; the worker sweep will retry it');
      }
    }
    await this.changes.publish(change);
  }

  private async ingestIn(runner: QueryRunner, workspaceId: string, inputs: unknown[], settings: ProfileSettings): Promise<IngestResult> {
    const { entries, rejections, warnings } = prepare(inputs, new IdentityNormalizer(settings.identity));
    const result: IngestResult = {
      received: inputs.length,
      created: 0,
      updated: 0,
      merged: 0,
      eventsInserted: 0,
      eventsDeduplicated: 0,
      rejected: rejections.length,
      rejections,
      conflicts: 0,
      warnings,
      change: { workspaceId, profileIds: [], mergedAway: [] },
    };
    if (entries.length === 0) return result;

    await lockWorkspaceProfiles(runner, workspaceId);
    await disableJit(runner);

    // 1. What the database already knows about this batch's identities and records.
    const allIdentities = uniqueIdentities(entries.flatMap((e) => e.identities));
    const identityOwners = await rows<{ type: string; value: string; profile_id: string }>(
      runner,
      `SELECT i.type, i.value, i.profile_id FROM identities i
       JOIN json_to_recordset($2::json) AS k(type text, value text) ON i.type = k.type AND i.value = k.value
       WHERE i.workspace_id = $1`,
      [workspaceId, JSON.stringify(allIdentities)],
    );
    const records = uniqueBy(entries, (e) => e.recordKey).map((e) => ({ source: e.source, external_id: e.externalId }));
    const recordOwners = await rows<{ source: string; external_id: string; kind: ProfileKind; profile_id: string }>(
      runner,
      `SELECT r.source, r.external_id, r.kind, r.profile_id FROM source_records r
       JOIN json_to_recordset($2::json) AS k(source text, external_id text) ON r.source = k.source AND r.external_id = k.external_id
       WHERE r.workspace_id = $1`,
      [workspaceId, JSON.stringify(records)],
    );
    const matchedIds = [...new Set([...identityOwners.map((r) => r.profile_id), ...recordOwners.map((r) => r.profile_id)])];
    const existing = matchedIds.length
      ? await rows<{ id: string; kind: ProfileKind; created: string; identities: Identity[] }>(
          runner,
          `SELECT p.id, p.kind, row_number() OVER (ORDER BY p.created_seq) AS created,
                  coalesce((SELECT json_agg(json_build_object('type', i.type, 'value', i.value)) FROM identities i WHERE i.profile_id = p.id), '[]') AS identities
           FROM profiles p WHERE p.id = ANY($1::uuid[])`,
          [matchedIds],
        )
      : [];

    // 2. Identity resolution, in memory.
    const resolver = new BatchResolver(
      settings.identity,
      existing.map((p) => ({ id: p.id, kind: p.kind, createdAt: Number(p.created), identities: p.identities })),
      identityOwners.map((r) => ({ identity: { type: r.type, value: r.value }, profileId: r.profile_id })),
      recordOwners.map((r) => ({ recordKey: [r.source, r.external_id, r.kind].join(SEP), profileId: r.profile_id })),
      timeOrderedUuid,
    );
    const plan = resolver.plan(entries);
    const entryIndex = new Map(entries.map((e, i) => [e, i]));
    const groupAt = (entry: Entry) => plan.factGroups[entryIndex.get(entry)!]!;

    const changed = new Set<string>();

    // 3. New profiles: groups created in this batch that did not fold into another.
    const created = uniqueBy(plan.factGroups.map(root).filter((g) => g.isNew), (g) => g.id);
    if (created.length) {
      await runner.query(
        `INSERT INTO profiles (id, workspace_id, kind) SELECT x.id, $1, x.kind FROM json_to_recordset($2::json) AS x(id uuid, kind text)`,
        [workspaceId, JSON.stringify(created.map((g) => ({ id: g.id, kind: g.kind })))],
      );
      for (const g of created) changed.add(g.id);
    }
    result.created = created.length;

    // 4. Merges of existing profiles: the loser points at its winner; its rows move to the final survivor.
    const merges = plan.merges.filter((m) => !m.loser.isNew);
    if (merges.length) {
      const moves = merges.map((m) => ({ loser: m.loser.id, winner: m.winner.id, target: root(m.loser).id }));
      const movesJson = JSON.stringify(moves);
      // Recomputes of earlier batches may hold some of these rows: take them in the same order they do.
      await lockProfileRows(runner, moves.map((m) => m.loser));
      await runner.query(
        `UPDATE profiles p SET merged_into = m.winner, updated_at = now()
         FROM json_to_recordset($2::json) AS m(loser uuid, winner uuid) WHERE p.id = m.loser AND p.workspace_id = $1`,
        [workspaceId, movesJson],
      );
      for (const [table, column] of [
        ['identities', 'profile_id'],
        ['source_records', 'profile_id'],
        ['events', 'profile_id'],
        ['consents', 'profile_id'],
        ['account_links', 'person_id'],
        ['account_links', 'account_id'],
      ] as const) {
        // By profile id only (ids are unique across workspaces and were resolved in this workspace):
        // a workspace_id condition here lets the planner scan a whole workspace's rows.
        await runner.query(
          `UPDATE ${table} t SET ${column} = m.target FROM json_to_recordset($1::json) AS m(loser uuid, target uuid)
           WHERE t.${column} = m.loser`,
          [movesJson],
        );
      }
      await runner.query(
        `INSERT INTO merges (id, workspace_id, winner_id, loser_id, reason)
         SELECT x.id, $1, x.winner, x.loser, x.reason FROM json_to_recordset($2::json) AS x(id uuid, winner uuid, loser uuid, reason jsonb)`,
        [
          workspaceId,
          JSON.stringify(
            merges.map((m) => {
              const [source, externalId] = m.recordKey.split(SEP);
              return { id: randomUUID(), winner: m.winner.id, loser: m.loser.id, reason: { linkedBy: m.linkedBy, source, externalId } };
            }),
          ),
        ],
      );
      for (const m of merges) changed.add(root(m.winner).id);
      result.merged = merges.length;
      result.change.mergedAway = merges.map((m) => m.loser.id);
    }

    // 5. Identities attached in this batch.
    if (plan.attached.length) {
      const attached = await writtenPerProfile(
        runner,
        `INSERT INTO identities (workspace_id, type, value, profile_id, origin_profile_id, source)
         SELECT $1, x.type, x.value, x.profile_id, x.origin, x.source FROM json_to_recordset($2::json) AS x(type text, value text, profile_id uuid, origin uuid, source text)
         ON CONFLICT (workspace_id, type, value) DO NOTHING
         RETURNING profile_id`,
        [
          workspaceId,
          JSON.stringify(
            plan.attached.map((a) => ({
              type: a.identity.type,
              value: a.identity.value,
              profile_id: root(a.group).id,
              origin: materialized(a.group).id,
              source: entries[a.factIndex]!.source,
            })),
          ),
        ],
      );
      for (const r of attached) changed.add(r.profile_id);
    }

    // 6. Source records, one row per record key, observations merged per trait by time.
    const recordRows = new Map<string, { source: string; external_id: string; kind: ProfileKind; profile_id: string; origin: string; traits: Record<string, { v: unknown; at: string }>; observed_at: string }>();
    for (const entry of entries) {
      const group = groupAt(entry);
      let row = recordRows.get(entry.recordKey);
      if (!row) {
        row = { source: entry.source, external_id: entry.externalId, kind: entry.kind, profile_id: root(group).id, origin: materialized(group).id, traits: {}, observed_at: entry.observedAt };
        recordRows.set(entry.recordKey, row);
      }
      if (entry.observedAt > row.observed_at) row.observed_at = entry.observedAt;
      for (const [k, v] of Object.entries(entry.traits)) {
        const current = row.traits[k];
        if (!current || entry.observedAt >= current.at) row.traits[k] = { v, at: entry.observedAt };
      }
    }
    const upserted = await writtenPerProfile(
      runner,
      `INSERT INTO source_records (workspace_id, source, external_id, kind, profile_id, origin_profile_id, traits, observed_at)
       SELECT $1, x.source, x.external_id, x.kind, x.profile_id, x.origin, x.traits, x.observed_at
       FROM jsonb_to_recordset($2::jsonb) AS x(source text, external_id text, kind text, profile_id uuid, origin uuid, traits jsonb, observed_at timestamptz)
       ON CONFLICT (workspace_id, source, external_id) DO UPDATE
         SET traits = portrait_merge_observations(source_records.traits, EXCLUDED.traits),
             observed_at = greatest(source_records.observed_at, EXCLUDED.observed_at),
             updated_at = now()
         WHERE source_records.traits IS DISTINCT FROM portrait_merge_observations(source_records.traits, EXCLUDED.traits)
       RETURNING profile_id`,
      [workspaceId, JSON.stringify([...recordRows.values()])],
    );
    for (const r of upserted) changed.add(r.profile_id);

    // 7. Events, deduplicated per source by dedupe key: sent grouped by the fact they came with (its
    //    profile, origin and source once, its events as they are), answered per profile.
    const eventGroups = entries
      .filter((entry) => entry.events.length > 0)
      .map((entry) => {
        const group = groupAt(entry);
        return {
          profile_id: root(group).id,
          origin: materialized(group).id,
          source: entry.source,
          events: entry.events.map((e) => (e.dedupeKey === undefined ? { ...e, dedupeKey: defaultDedupeKey(entry, e) } : e)),
        };
      });
    if (eventGroups.length) {
      const inserted = await writtenPerProfile(
        runner,
        `INSERT INTO events (workspace_id, profile_id, origin_profile_id, source, type, occurred_at, properties, dedupe_key)
         SELECT $1, x.profile_id, x.origin, x.source, e.type, e."occurredAt", e.properties, e."dedupeKey"
         FROM jsonb_to_recordset($2::jsonb) AS x(profile_id uuid, origin uuid, source text, events jsonb)
         CROSS JOIN LATERAL jsonb_to_recordset(x.events) AS e(type text, "occurredAt" timestamptz, properties jsonb, "dedupeKey" text)
         ON CONFLICT (workspace_id, source, dedupe_key) DO NOTHING
         RETURNING profile_id`,
        [workspaceId, JSON.stringify(eventGroups)],
      );
      let total = 0;
      for (const r of inserted) {
        changed.add(r.profile_id);
        total += r.written;
      }
      result.eventsInserted = total;
      result.eventsDeduplicated = eventGroups.reduce((n, g) => n + g.events.length, 0) - total;
    }

    // 8. Consent: the latest statement per profile, purpose and source.
    const consents = new Map<string, { profile_id: string; origin: string; purpose: string; source: string; granted: boolean; at: string }>();
    for (const entry of entries) {
      const group = groupAt(entry);
      for (const c of entry.consent) {
        const k = [materialized(group).id, c.purpose, entry.source].join(SEP);
        const current = consents.get(k);
        if (!current || c.at >= current.at) {
          consents.set(k, { profile_id: root(group).id, origin: materialized(group).id, purpose: c.purpose, source: entry.source, granted: c.granted, at: c.at });
        }
      }
    }
    if (consents.size) {
      const stated = await writtenPerProfile(
        runner,
        `INSERT INTO consents (workspace_id, profile_id, origin_profile_id, purpose, source, granted, at)
         SELECT $1, x.profile_id, x.origin, x.purpose, x.source, x.granted, x.at
         FROM json_to_recordset($2::json) AS x(profile_id uuid, origin uuid, purpose text, source text, granted boolean, at timestamptz)
         ON CONFLICT (workspace_id, origin_profile_id, purpose, source) DO UPDATE
           SET granted = EXCLUDED.granted, at = EXCLUDED.at
           WHERE EXCLUDED.at >= consents.at AND (consents.granted, consents.at) IS DISTINCT FROM (EXCLUDED.granted, EXCLUDED.at)
         RETURNING profile_id`,
        [workspaceId, JSON.stringify([...consents.values()])],
      );
      for (const r of stated) changed.add(r.profile_id);
    }

    // 9. People ↔ accounts.
    const links = uniqueBy(
      entries
        .filter((e) => e.account)
        .map((e) => {
          const person = groupAt(e);
          const account = groupAt(e.account!);
          return { person: root(person).id, account: root(account).id, origin_person: materialized(person).id, origin_account: materialized(account).id, source: e.source };
        }),
      (l) => [l.origin_person, l.origin_account, l.source].join(SEP),
    );
    if (links.length) {
      const linked = await rows<{ person_id: string; account_id: string }>(
        runner,
        `INSERT INTO account_links (workspace_id, person_id, account_id, origin_person_id, origin_account_id, source)
         SELECT $1, x.person, x.account, x.origin_person, x.origin_account, x.source
         FROM json_to_recordset($2::json) AS x(person uuid, account uuid, origin_person uuid, origin_account uuid, source text)
         ON CONFLICT DO NOTHING
         RETURNING person_id, account_id`,
        [workspaceId, JSON.stringify(links)],
      );
      for (const r of linked) changed.add(r.person_id).add(r.account_id);
    }

    // 10. Conflicts, for the admin to review.
    if (plan.conflicts.length) {
      await runner.query(
        `INSERT INTO identity_conflicts (workspace_id, kept_profile_id, identity_type, identity_value, source, external_id, reason)
         SELECT $1, x.kept, x.type, x.value, x.source, x.external_id, x.reason
         FROM json_to_recordset($2::json) AS x(kept uuid, type text, value text, source text, external_id text, reason text)`,
        [
          workspaceId,
          JSON.stringify(
            plan.conflicts.map((c) => ({
              kept: materialized(root(c.keptProfile)).id,
              type: c.identity.type,
              value: c.identity.value,
              source: entries[c.factIndex]!.source,
              external_id: entries[c.factIndex]!.externalId,
              reason: c.reason,
            })),
          ),
        ],
      );
      result.conflicts = plan.conflicts.length;
    }

    // 11. Traits and computed traits of what changed: queued here, recomputed after commit (`complete`).
    const changedIds = [...changed];
    result.pendingRecompute = await this.recomputer.queue(runner, workspaceId, changedIds);
    const createdIds = new Set(created.map((g) => g.id));
    result.updated = changedIds.filter((id) => !createdIds.has(id)).length;
    result.change.profileIds = changedIds;
    return result;
  }
}

function prepare(inputs: unknown[], normalizer: IdentityNormalizer): { entries: Entry[]; rejections: IngestRejection[]; warnings: string[] } {
  const entries: Entry[] = [];
  const rejections: IngestRejection[] = [];
  const warnings: string[] = [];
  inputs.forEach((input, index) => {
    const validation = validateFact(input);
    const raw = (input ?? {}) as { source?: unknown; externalId?: unknown };
    const where = { index, source: typeof raw.source === 'string' ? raw.source : undefined, externalId: typeof raw.externalId === 'string' ? raw.externalId : undefined };
    if (!validation.ok) {
      rejections.push({ ...where, reason: validation.reason });
      return;
    }
    const fact = validation.fact;
    const region = typeof fact.traits.country === 'string' ? fact.traits.country : undefined;
    const normalize = (identities: Identity[], label: string) => {
      const kept: Identity[] = [];
      const dropped: string[] = [];
      for (const identity of identities) {
        const n = normalizer.normalize(identity, region);
        if (n.ok) kept.push(n.identity);
        else dropped.push(n.reason);
      }
      if (kept.length && dropped.length) warnings.push(`${fact.source}/${fact.externalId}${label}: ${dropped.join('; ')}`);
      return { kept, dropped };
    };
    const person = normalize(fact.identities, '');
    if (person.kept.length === 0) {
      rejections.push({ ...where, reason: `no usable identity: ${person.dropped.join('; ')}` });
      return;
    }
    const entry: Entry = {
      index,
      kind: fact.kind,
      source: fact.source,
      externalId: fact.externalId,
      recordKey: [fact.source, fact.externalId, fact.kind].join(SEP),
      identities: person.kept,
      observedAt: fact.observedAt,
      traits: fact.traits,
      events: fact.events,
      consent: fact.consent,
    };
    if (fact.account && fact.kind === 'person') {
      const account = normalize(fact.account.identities, ' (account)');
      if (account.kept.length) {
        const first = [...account.kept].sort((a, b) => a.type.localeCompare(b.type) || a.value.localeCompare(b.value))[0]!;
        const externalId = fact.account.externalId ?? `${first.type}:${first.value}`;
        entry.account = {
          index,
          kind: 'account',
          source: fact.source,
          externalId,
          recordKey: [fact.source, externalId, 'account'].join(SEP),
          identities: account.kept,
          observedAt: fact.observedAt,
          traits: fact.account.traits,
          events: [],
          consent: [],
        };
        entries.push(entry.account);
      } else {
        warnings.push(`${fact.source}/${fact.externalId}: account not linked, no usable identity: ${account.dropped.join('; ')}`);
      }
    }
    entries.push(entry);
  });
  return { entries, rejections, warnings };
}

/**
 * Runs a write answering `profile_id` for each row it wrote (`RETURNING profile_id`); answers each
 * profile written to once, with how many rows — not a row per written row.
 */
function writtenPerProfile(runner: QueryRunner, write: string, params: unknown[]): Promise<{ profile_id: string; written: number }[]> {
  return rows(runner, `WITH written AS (${write}) SELECT profile_id, count(*)::int AS written FROM written GROUP BY profile_id`, params);
}

/** A stable key for an event without one: same record, type, time and properties → same key. */
function defaultDedupeKey(entry: Entry, event: ProfileFact['events'][number]): string {
  return createHash('sha256')
    .update(JSON.stringify([entry.externalId, event.type, event.occurredAt, canonical(event.properties)]))
    .digest('base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

function uniqueIdentities(identities: Identity[]): Identity[] {
  return uniqueBy(identities, (i) => `${i.type}${SEP}${i.value}`);
}

function uniqueBy<T>(items: T[], keyOf: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(keyOf(item))) seen.set(keyOf(item), item);
  return [...seen.values()];
}
