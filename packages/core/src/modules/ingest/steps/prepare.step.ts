import { validateFact, type Identity } from '@portrait/connector-sdk';
import type { IdentityNormalizer } from '../../identity/identity-normalizer.js';
import { recordKey, type IngestEntry } from '../ingest-entry.js';
import type { IngestRejection } from '../ingest-result.js';

export interface PreparedBatch {
  /** The facts kept, in order; a person's account comes just before its person. */
  entries: IngestEntry[];
  /** The facts refused, with their position and why. */
  rejections: IngestRejection[];
  /** Identifiers dropped from facts that were kept (blocked or malformed), and accounts left unlinked. */
  warnings: string[];
}

/**
 * The first step of a batch, in memory: validates each fact and normalizes its identities (and its
 * account's), and its `email` and `phone` traits the same way (the value sent stays with the observation). A fact that is invalid, or left with no usable identity, is refused with its reason; a
 * person's account without a usable identity is not linked, with a warning.
 */
export function prepareFacts(inputs: unknown[], normalizer: IdentityNormalizer): PreparedBatch {
  const entries: IngestEntry[] = [];
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
    const { traits, rawTraits } = normalizeContactTraits(fact.traits, normalizer, region);
    const matchKeys = fact.kind === 'person' ? normalizer.matchKeys(traits).filter((k) => !person.kept.some((i) => i.type === k.type)) : [];
    const entry: IngestEntry = {
      index,
      kind: fact.kind,
      source: fact.source,
      externalId: fact.externalId,
      recordKey: recordKey(fact.source, fact.externalId, fact.kind),
      identities: [...person.kept, ...matchKeys],
      observedAt: fact.observedAt,
      traits,
      ...(rawTraits ? { rawTraits } : {}),
      ...(typeof traits.first_name === 'string' ? { firstName: traits.first_name } : {}),
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
          recordKey: recordKey(fact.source, externalId, 'account'),
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
 * The `email` and `phone` traits as their identities are normalized (trimmed and lower-cased, E.164),
 * so that the profile shows the value it is matched on; with the values as sent, where they differ.
 * A value that is not a valid e-mail or phone number is kept as sent.
 */
function normalizeContactTraits(
  traits: Record<string, unknown>,
  normalizer: IdentityNormalizer,
  region: string | undefined,
): { traits: Record<string, unknown>; rawTraits?: Record<string, unknown> } {
  let out = traits;
  let rawTraits: Record<string, unknown> | undefined;
  for (const key of ['email', 'phone'] as const) {
    const value = traits[key];
    if (typeof value !== 'string') continue;
    const normalized = normalizer.normalizeTrait(key, value, region);
    if (normalized === undefined || normalized === value) continue;
    if (out === traits) out = { ...traits };
    out[key] = normalized;
    (rawTraits ??= {})[key] = value;
  }
  return { traits: out, ...(rawTraits ? { rawTraits } : {}) };
}
