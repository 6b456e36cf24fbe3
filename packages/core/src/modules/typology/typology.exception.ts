import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type TypologyExceptionCode = 'INVALID_TYPOLOGY_SETTINGS' | 'WORKSPACE_NOT_FOUND';

/** A field-level problem in typology settings; `field` is a path such as `loyal.minOrders`. */
export interface TypologyFieldError {
  field: string;
  message: string;
}

/** Typology errors; invalid settings carry `errors: [{field, message}]` in `details` and as a property. */
export class TypologyException extends PortraitException<TypologyExceptionCode> {
  readonly errors: TypologyFieldError[];

  constructor(code: TypologyExceptionCode, message: string, errors: TypologyFieldError[] = []) {
    super(code, message, errors.length ? { errors } : undefined);
    this.errors = errors;
  }
}
