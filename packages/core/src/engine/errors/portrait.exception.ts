/**
 * A domain error with a machine-readable code. Each module declares its own subclass and codes;
 * each app maps codes to HTTP statuses once, in its exception filter.
 */
export abstract class PortraitException<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
