import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type SyncExceptionCode =
  | 'CONNECTOR_NOT_FOUND'
  | 'PLUGIN_LOAD_FAILED'
  | 'SOURCE_NOT_FOUND'
  | 'SOURCE_DISABLED'
  | 'SYNC_RUN_NOT_FOUND'
  | 'SYNC_RUN_ENDED'
  | 'DEAD_LETTER_NOT_FOUND'
  | 'DEAD_LETTER_RETRY_CONFLICT'
  | 'INVALID_CURSOR'
  | 'WEBHOOKS_NOT_SUPPORTED'
  | 'WEBHOOK_SIGNATURE_INVALID'
  | 'INVALID_WEBHOOK_PAYLOAD'
  | 'INVALID_PRIVACY_REQUEST';

/** Errors of the sync engine: unknown connectors or sources, plugins that fail to load, refused webhooks. */
export class SyncException extends PortraitException<SyncExceptionCode> {}

export interface SourceConfigFieldError {
  /** Dotted path inside the configuration, e.g. `mapping.identities`; `(config)` for the whole object. */
  field: string;
  message: string;
}

/** A source's configuration does not match its connector's schema; `errors` says which field and why. */
export class InvalidSourceConfigException extends PortraitException<'INVALID_SOURCE_CONFIG'> {
  readonly errors: SourceConfigFieldError[];

  constructor(connectorId: string, errors: SourceConfigFieldError[]) {
    super('INVALID_SOURCE_CONFIG', `the configuration of this ${connectorId} source is not valid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, {
      errors,
    });
    this.errors = errors;
  }
}
