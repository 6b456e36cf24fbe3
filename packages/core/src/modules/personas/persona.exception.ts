import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type PersonaExceptionCode =
  | 'INVALID_PERSONA'
  | 'PERSONA_NOT_FOUND'
  | 'INVALID_CURSOR'
  // Persona discovery.
  | 'INVALID_DISCOVERY'
  | 'DISCOVERY_NOT_FOUND'
  | 'DISCOVERY_NOT_FINISHED'
  | 'DISCOVERY_NOT_ENOUGH_PEOPLE'
  | 'DISCOVERY_NO_FEATURES'
  | 'DRAFT_NOT_FOUND'
  | 'DRAFT_ACCEPTANCE_CONFLICT';

/** A field-level problem in a persona; `field` is a path such as `rules.0.condition.all[1].op`. */
export interface PersonaFieldError {
  field: string;
  message: string;
}

/** Persona errors; invalid personas carry `errors: [{field, message}]` in `details` and as a property. */
export class PersonaException extends PortraitException<PersonaExceptionCode> {
  readonly errors: PersonaFieldError[];

  constructor(code: PersonaExceptionCode, message: string, errors: PersonaFieldError[] = []) {
    super(code, message, errors.length ? { errors } : undefined);
    this.errors = errors;
  }
}
