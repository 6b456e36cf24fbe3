import { z } from 'zod';
import { ConnectorDefinitionError } from './connector.errors.js';
import type { ConnectorLogger } from './connector.logger.js';
import type { HttpClient, HttpClientOptions } from './http-client.js';
import type { Identity, ProfileFact } from './profile-fact.js';
import { definitionProblems } from './manifest-validation.js';
import type { RateLimiter, RateLimiterOptions } from './rate-limiter.js';

/**
 * The plugin contract. A connector is a plain object made by `defineConnector`: a manifest, a
 * connection check, a reader that yields facts and checkpoints, and optionally a webhook parser and a
 * segment destination. It never touches the database: the engine persists what it yields.
 */

export type SyncMode = 'full' | 'incremental';

export interface StreamDefinition {
  /** Stable name, e.g. `customers`, `orders`. Part of the checkpoint key. */
  name: string;
  description?: string;
  /** Field(s) identifying an upstream record within the stream. */
  primaryKey: string[];
  /** Field the incremental cursor follows (e.g. `updated_at`); absent for full-only streams. */
  cursorField?: string;
  syncModes: SyncMode[];
}

export interface ConnectorCapabilities {
  /** The connector parses its channel's webhooks (`parseWebhook`). */
  webhooks?: boolean;
  /** The connector receives segment membership (`syncSegment`). */
  destination?: boolean;
  /**
   * The consent purpose a person must have granted to be sent to this destination (`email_marketing`
   * for an e-mail channel). The engine enforces it: people without it granted are never sent, and a
   * person who revokes it is removed at the next push. Absent: the destination needs no consent.
   */
  destinationConsent?: string;
}

/** The options of one segment's connection to a destination, as its connector's `destinationOptionsSchema` parses them. */
export type DestinationOptions = Record<string, unknown>;

export interface ConnectorManifest<Config = unknown, Options = DestinationOptions> {
  /** Lower-case, dash-separated, unique across installed plugins: `shopify`, `csv`, `acme-crm`. */
  id: string;
  name: string;
  /** Semver of the plugin. */
  version: string;
  description: string;
  /** An inline SVG or a data: URL, shown in the admin. */
  icon?: string;
  kind: 'source' | 'destination' | 'both';
  /** Validates the source configuration; the engine and the admin render and check it. */
  configSchema: z.ZodType<Config>;
  /**
   * For a destination: validates the options given when a segment is connected to one of its sources
   * (the list or audience it goes to, the name it takes there…). Applied on connecting (a problem is a
   * field error of `options`) and before every push; its output is `SegmentSnapshot.options`. Absent:
   * the destination takes no options, and a connection that gives some is refused.
   */
  destinationOptionsSchema?: z.ZodType<Options>;
  /** Top-level config fields holding secrets: encrypted at rest, never returned in clear. */
  secretFields: string[];
  streams: StreamDefinition[];
  /** Cron expression (5 fields) of the default sync schedule, e.g. `*\/15 * * * *`. */
  defaultSchedule: string;
  capabilities: ConnectorCapabilities;
}

/** What the engine hands a connector on every call. A plugin never builds its own. */
export interface ConnectorContext {
  logger: ConnectorLogger;
  /** Fires when the run is cancelled or the process stops; pass it on to every request. */
  signal: AbortSignal;
  /** An HTTP client with retry, exponential backoff + jitter, Retry-After and the context's signal. */
  http(options?: HttpClientOptions): HttpClient;
  /** A token-bucket + max-concurrency limiter, shared by every call of one run. */
  rateLimiter(options: RateLimiterOptions): RateLimiter;
}

/** Opaque per-stream state a connector saves through checkpoints (cursor, page token, checksums…). */
export type StreamState = Record<string, unknown>;

export type ReadMessage =
  /** Facts to ingest, in order. */
  | { type: 'facts'; facts: ProfileFact[] }
  /**
   * The state to resume from once everything yielded before it is stored. The engine commits it in
   * the same transaction as the facts before it.
   */
  | { type: 'checkpoint'; state: StreamState }
  /** An upstream record that could not become a fact: dead-lettered with its reason, the run goes on. */
  | { type: 'invalid'; reason: string; payload?: unknown; location?: string };

export interface ReadRequest {
  stream: string;
  mode: SyncMode;
  /** The last committed state of this stream; `undefined` on a first or a full sync. */
  state: StreamState | undefined;
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

/** An inbound webhook call as the public API received it. */
export interface WebhookRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The exact bytes received: signatures are computed over them. */
  rawBody: Buffer;
  /** The body parsed as JSON when it is JSON. */
  body: unknown;
  query?: Record<string, string | undefined>;
}

export interface WebhookResult {
  facts: ProfileFact[];
  /**
   * A person's request about their own data that the channel forwards (Shopify's mandatory compliance
   * topics `customers/redact` and `customers/data_request`). The engine carries each one out once the
   * facts are ingested, before it answers the channel: `erase` deletes the profiles the identities
   * resolve to, `export` keeps their data, sealed, for an admin to hand over. Validated like facts
   * (`validatePrivacyRequest`); identities that match no profile are not an error.
   */
  privacyRequests?: PrivacyRequest[];
  /** Some channels expect a specific reply (e.g. a challenge echo). */
  response?: { status: number; body?: unknown };
}

/** A person's erasure or data request, forwarded by a channel. */
export interface PrivacyRequest {
  /** `erase`: right to erasure. `export`: right of access (a data request). */
  type: 'erase' | 'export';
  /** Who asks: every identifier the channel knows of them (`email`, `shopify_customer_id`…), as in facts. */
  identities: Identity[];
  /**
   * The channel's id of the request (or of the delivery), stable across redeliveries: a request whose
   * reference was carried out already is not carried out again. Never personal data.
   */
  reference?: string;
}

export interface SegmentSnapshot<Options = DestinationOptions> {
  id: string;
  name: string;
  /** Stable, channel-safe key, e.g. `vip-customers`. */
  key: string;
  /**
   * The options this segment was connected to the destination with, parsed by the connector's
   * `destinationOptionsSchema` (defaults applied); `{}` when the connector declares none.
   */
  options: Options;
}

/** A problem with a connection's options: `field` is a path within them, e.g. `audienceId`. */
export interface DestinationOptionProblem {
  field: string;
  message: string;
}

export interface SegmentMember {
  profileId: string;
  /** Identities the destination can address, e.g. `{ email: ['a@b.co'], mailchimp_member_id: ['…'] }`. */
  identities: Record<string, string[]>;
  traits: Record<string, unknown>;
}

export interface SegmentDiff {
  entered: SegmentMember[];
  exited: SegmentMember[];
}

export interface SegmentSyncResult {
  synced: number;
  /** Members the destination could not take (e.g. no email), with the reason. */
  skipped: { profileId: string; reason: string }[];
}

export interface ConnectorDefinition<Config = unknown, Options = DestinationOptions> {
  manifest: ConnectorManifest<Config, Options>;
  /** The admin's "Test connection": reach the channel with these credentials. */
  check(config: Config, ctx: ConnectorContext): Promise<CheckResult>;
  /** Reads one stream from `request.state`, yielding facts, checkpoints and invalid records. */
  read(request: ReadRequest, config: Config, ctx: ConnectorContext): AsyncIterable<ReadMessage>;
  /** Verifies (signature) and maps an inbound webhook. Throws `WebhookSignatureError` when it does not verify. */
  parseWebhook?(request: WebhookRequest, config: Config, ctx: ConnectorContext): Promise<WebhookResult>;
  /** Hands a destination the members that entered and left a segment. */
  syncSegment?(segment: SegmentSnapshot<Options>, diff: SegmentDiff, config: Config, ctx: ConnectorContext): Promise<SegmentSyncResult>;
  /**
   * Checks a connection's options (already parsed by `destinationOptionsSchema`) against the source's
   * configuration, e.g. that the audience named is one the source holds; answers the problems (none:
   * valid). Called on connecting and before every push, without touching the channel.
   */
  checkDestinationOptions?(options: Options, config: Config): DestinationOptionProblem[];
}

/** A connector as the engine holds it: the definition, branded so a loaded package can be recognised. */
export type Connector<Config = unknown, Options = DestinationOptions> = Readonly<ConnectorDefinition<Config, Options>> & { readonly __portraitConnector: 1 };

/**
 * Makes a connector out of its definition, validating it first: id format, semver version, streams
 * (non-empty, unique names, a primary key, a cursor field when incremental), a 5-field cron schedule,
 * secret fields present in the config schema, destination options only on a destination, and the
 * functions its capabilities promise. Throws a
 * `ConnectorDefinitionError` listing every problem, so a malformed plugin fails when it is loaded.
 */
export function defineConnector<Config, Options = DestinationOptions>(definition: ConnectorDefinition<Config, Options>): Connector<Config, Options> {
  const problems = definitionProblems(definition);
  if (problems.length > 0) {
    const id = (definition as { manifest?: { id?: unknown } } | undefined)?.manifest?.id;
    throw new ConnectorDefinitionError(typeof id === 'string' ? `connector "${id}"` : 'connector', problems);
  }
  return Object.freeze({ ...definition, __portraitConnector: 1 as const });
}
