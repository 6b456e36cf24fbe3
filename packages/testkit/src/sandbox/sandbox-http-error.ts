/** Thrown by a route (or a helper) to answer with an error status and a JSON `{ error }` body. */
export class SandboxHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxHttpError';
  }
}
