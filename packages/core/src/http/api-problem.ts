import { STATUS_CODES } from 'node:http';

/** A field-level complaint about the request: `{ field: 'traits.email', message: 'must be a string' }`. */
export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem document, as every error of the API is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Machine-readable, stable: clients branch on it, not on the text. */
  code: string;
  errors?: FieldError[];
}

/** The problem type URI of a code: `PROFILE_NOT_FOUND` → `urn:portrait:problem:profile-not-found`. */
export function problemType(code: string): string {
  return `urn:portrait:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** An error the API answers as it is: a status, a code, a sentence for people, maybe field errors and headers. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }

  toProblem(): Problem {
    return {
      type: problemType(this.code),
      title: STATUS_CODES[this.status] ?? 'Error',
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.options.errors ? { errors: this.options.errors } : {}),
    };
  }
}

/** A 400 naming each offending field. */
export function validationProblem(errors: FieldError[], detail = 'the request is not valid'): ApiProblem {
  return new ApiProblem(400, 'VALIDATION_FAILED', `${detail}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
}
