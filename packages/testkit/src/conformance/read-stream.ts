import type { Connector, ConnectorContext, ProfileFact, ReadMessage, ReadRequest, StreamState } from '@portrait/connector-sdk';

/** Everything one read yielded, split by message type. */
export interface ReadOutcome {
  messages: ReadMessage[];
  facts: ProfileFact[];
  checkpoints: StreamState[];
  invalid: Extract<ReadMessage, { type: 'invalid' }>[];
  /** The state of the last checkpoint, if any. */
  lastState: StreamState | undefined;
  /** Facts yielded after the last checkpoint: an engine would not have committed them. */
  uncheckpointedFacts: number;
}

/**
 * Reads a stream to its end, or until `stopAfterCheckpoints` checkpoints were yielded (the iterator
 * is then closed, as the engine does when a run stops). Facts count only up to the last checkpoint
 * when stopping early: that is what an engine has committed.
 */
export async function readStream<Config>(
  connector: Connector<Config>,
  request: ReadRequest,
  config: Config,
  ctx: ConnectorContext,
  options: { stopAfterCheckpoints?: number } = {},
): Promise<ReadOutcome> {
  const messages: ReadMessage[] = [];
  const checkpoints: StreamState[] = [];
  const invalid: Extract<ReadMessage, { type: 'invalid' }>[] = [];
  let committed: ProfileFact[] = [];
  let pending: ProfileFact[] = [];
  for await (const message of connector.read(request, config, ctx)) {
    messages.push(message);
    if (message.type === 'facts') pending.push(...message.facts);
    else if (message.type === 'invalid') invalid.push(message);
    else if (message.type === 'checkpoint') {
      checkpoints.push(message.state);
      committed = committed.concat(pending);
      pending = [];
      if (options.stopAfterCheckpoints !== undefined && checkpoints.length >= options.stopAfterCheckpoints) {
        return { messages, facts: committed, checkpoints, invalid, lastState: message.state, uncheckpointedFacts: 0 };
      }
    } else {
      throw new Error(`read yielded a message of unknown type: ${JSON.stringify(message).slice(0, 200)}`);
    }
  }
  return {
    messages,
    facts: committed.concat(pending),
    checkpoints,
    invalid,
    lastState: checkpoints.at(-1),
    uncheckpointedFacts: pending.length,
  };
}

/** `source` + `externalId`: how the engine recognises a record. */
export function factKey(fact: Pick<ProfileFact, 'source' | 'externalId'>): string {
  return `${fact.source}/${fact.externalId}`;
}

/** One key per event: its dedupe key when it has one, else its type and time within its fact. */
export function eventKeys(facts: readonly ProfileFact[]): string[] {
  return facts.flatMap((fact) =>
    fact.events.map((event) => (event.dedupeKey ? `${fact.source}/${event.dedupeKey}` : `${factKey(fact)}#${event.type}@${event.occurredAt}`)),
  );
}

/** Sorted keys, duplicates kept: two multisets are equal when these arrays are. */
export function sortedKeys(facts: readonly ProfileFact[]): string[] {
  return facts.map(factKey).sort();
}

/** A fact's content without its observation time: what changes when the upstream record changes. */
export function factContent(fact: ProfileFact): string {
  const { observedAt: _observedAt, ...content } = fact;
  return stableJson(content);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The state as the engine stores it (jsonb) and hands it back. */
export function roundTrip(state: StreamState | undefined): StreamState | undefined {
  return state === undefined ? undefined : (JSON.parse(JSON.stringify(state)) as StreamState);
}
