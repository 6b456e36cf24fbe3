/**
 * Errors a connector raises, each with a stable `code`. The sync engine maps codes once:
 * auth → the run fails at once and the source needs attention; rate limit / transient → the run is
 * retried later; invalid record → the record is skipped and reported, the run goes on.
 */
export type ConnectorErrorCode =
  | 'CONNECTOR_AUTH'
  | 'CONNECTOR_RATE_LIMIT'
  | 'CONNECTOR_TRANSIENT'
  | 'CONNECTOR_REQUEST'
  | 'INVALID_RECORD'
  | 'WEBHOOK_SIGNATURE'
  | 'CONNECTOR_CONFIG'
  | 'CONNECTOR_DEFINITION';

export abstract class ConnectorError extends Error {
  abstract readonly code: ConnectorErrorCode;
  /** Whether running the same operation again later may succeed. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The credentials were refused (HTTP 401/403 or the vendor's equivalent): fail the run now. */
export class ConnectorAuthError extends ConnectorError {
  readonly code = 'CONNECTOR_AUTH';
  readonly retryable = false;
}

/** The vendor kept rate limiting after every retry. `retryAfterMs` is the vendor's last hint, if any. */
export class ConnectorRateLimitError extends ConnectorError {
  readonly code = 'CONNECTOR_RATE_LIMIT';
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { retryAfterMs?: number; cause?: unknown }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** 5xx, network failures and timeouts that outlived the retries. */
export class ConnectorTransientError extends ConnectorError {
  readonly code = 'CONNECTOR_TRANSIENT';
  readonly retryable = true;
  readonly status: number | undefined;

  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** The vendor rejected the request itself (4xx other than 401/403/429): retrying will not help. */
export class ConnectorRequestError extends ConnectorError {
  readonly code = 'CONNECTOR_REQUEST';
  readonly retryable = false;
  readonly status: number;

  constructor(message: string, options: { status: number; cause?: unknown }) {
    super(message, options);
    this.status = options.status;
  }
}

/** One upstream record could not be turned into a fact. Yielded as `{ type: 'invalid' }`, never thrown out of `read`. */
export class InvalidRecordError extends ConnectorError {
  readonly code = 'INVALID_RECORD';
  readonly retryable = false;
  readonly reason: string;
  readonly payload: unknown;
  /** Where the record was found, e.g. `visits.csv line 42` or `GET /customers page 3`. */
  readonly location: string | undefined;

  constructor(reason: string, payload?: unknown, location?: string) {
    super(location ? `${location}: ${reason}` : reason);
    this.reason = reason;
    this.payload = payload;
    this.location = location;
  }
}

/** A webhook's signature did not verify: the request is refused and nothing is ingested. */
export class WebhookSignatureError extends ConnectorError {
  readonly code = 'WEBHOOK_SIGNATURE';
  readonly retryable = false;
}

export type FieldError = { field: string; message: string };

/** The configuration does not match the connector's schema. */
export class ConnectorConfigError extends ConnectorError {
  readonly code = 'CONNECTOR_CONFIG';
  readonly retryable = false;
  readonly errors: FieldError[];

  constructor(errors: FieldError[], message?: string) {
    super(message ?? `invalid configuration: ${errors.map((e) => `${e.field || '(config)'}: ${e.message}`).join('; ')}`);
    this.errors = errors;
  }
}

/** A connector definition (or a package claiming to be one) is malformed. */
export class ConnectorDefinitionError extends ConnectorError {
  readonly code = 'CONNECTOR_DEFINITION';
  readonly retryable = false;
  readonly problems: string[];

  constructor(subject: string, problems: string[]) {
    super(`${subject} is not a valid Portrait connector: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

const CODES = new Set<string>([
  'CONNECTOR_AUTH',
  'CONNECTOR_RATE_LIMIT',
  'CONNECTOR_TRANSIENT',
  'CONNECTOR_REQUEST',
  'INVALID_RECORD',
  'WEBHOOK_SIGNATURE',
  'CONNECTOR_CONFIG',
  'CONNECTOR_DEFINITION',
]);

/**
 * True for any connector error, including one thrown by a plugin that bundles its own copy of the SDK
 * (checked by shape, not only by `instanceof`).
 */
export function isConnectorError(error: unknown): error is ConnectorError {
  if (error instanceof ConnectorError) return true;
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && CODES.has(code);
}
