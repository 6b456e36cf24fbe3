import { PortraitException } from '../../engine/errors/portrait.exception.js';

export type SegmentExceptionCode = 'INVALID_SEGMENT' | 'SEGMENT_NOT_FOUND' | 'SEGMENT_CYCLE' | 'INVALID_CURSOR' | 'INVALID_DESTINATION' | 'DESTINATION_NOT_FOUND';

/** A field-level problem in a segment definition; `field` is a path such as `all[1].any[0].op`. */
export interface SegmentFieldError {
  field: string;
  message: string;
}

/** Segment errors; invalid definitions carry `errors: [{field, message}]` in `details` and as a property. */
export class SegmentException extends PortraitException<SegmentExceptionCode> {
  readonly errors: SegmentFieldError[];

  constructor(code: SegmentExceptionCode, message: string, errors: SegmentFieldError[] = []) {
    super(code, message, errors.length ? { errors } : undefined);
    this.errors = errors;
  }
}
