import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type IcpExceptionCode = 'INVALID_ICP' | 'ICP_NOT_FOUND' | 'INVALID_CURSOR';

/** A field-level problem in an ICP; `field` is a path such as `criteria.0.condition.all[1].op`. */
export interface IcpFieldError {
  field: string;
  message: string;
}

/** ICP errors; invalid ICPs carry `errors: [{field, message}]` in `details` and as a property. */
export class IcpException extends PortraitException<IcpExceptionCode> {
  readonly errors: IcpFieldError[];

  constructor(code: IcpExceptionCode, message: string, errors: IcpFieldError[] = []) {
    super(code, message, errors.length ? { errors } : undefined);
    this.errors = errors;
  }
}
