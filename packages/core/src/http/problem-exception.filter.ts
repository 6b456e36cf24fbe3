import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { PortraitException } from '../engine/errors/portrait.exception.js';
import { ApiProblem, type FieldError } from './api-problem.js';
import { statusOfCode } from './status-of-code.js';

/** Codes of the HTTP errors the framework raises itself (unknown route, body too large, bad JSON…). */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
};

/** What the filter needs of a Fastify request and reply (the apps run on Fastify). */
interface HttpRequest {
  id?: string;
  routeOptions?: { url?: string };
}
interface HttpReply {
  header(name: string, value: string): unknown;
  status(code: number): HttpReply;
  type(contentType: string): HttpReply;
  send(body: string): unknown;
}

/**
 * Every error of an app, whatever raised it, answered as `application/problem+json` with a stable
 * `code`: API problems as they are, domain exceptions by their code, framework HTTP errors by their
 * status, anything else as a 500 whose details go to the log only.
 */
@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<HttpReply>();
    const request = http.getRequest<HttpRequest>();
    const problem = this.toApiProblem(exception, request);
    for (const [name, value] of Object.entries(problem.options.headers ?? {})) reply.header(name, value);
    reply.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.toProblem()));
  }

  private toApiProblem(exception: unknown, request: HttpRequest): ApiProblem {
    if (exception instanceof ApiProblem) return exception;
    if (exception instanceof PortraitException) {
      // Every cursor is the `cursor` parameter: a refused one names it even when the domain did not.
      const errors = fieldErrorsOf(exception.details) ?? (exception.code === 'INVALID_CURSOR' ? [{ field: 'cursor', message: 'is not one this API returned' }] : undefined);
      // A refusal that passes with time (a locked sign-in) says when to come back.
      const retryAfter = exception.details?.retryAfterSeconds;
      const headers = typeof retryAfter === 'number' ? { 'Retry-After': String(retryAfter) } : undefined;
      return new ApiProblem(statusOfCode(exception.code), exception.code, exception.message, { ...(errors ? { errors } : {}), ...(headers ? { headers } : {}) });
    }
    // A 503 (a failed readiness check) is an answer, not an error of ours.
    if (exception instanceof HttpException && (exception.getStatus() < 500 || exception.getStatus() === 503)) {
      const status = exception.getStatus();
      return new ApiProblem(status, CODE_BY_STATUS[status] ?? `HTTP_${status}`, messageOf(exception));
    }
    this.logger.error({ err: exception, requestId: request.id, route: request.routeOptions?.url }, 'unhandled error');
    return new ApiProblem(500, 'INTERNAL_ERROR', `something went wrong on our side; quote request id ${request.id} when reporting it`);
  }
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
}

function fieldErrorsOf(details: Record<string, unknown> | undefined): FieldError[] | undefined {
  const errors = details?.errors;
  if (!Array.isArray(errors)) return undefined;
  return errors.map((e: { field?: string; path?: string; message?: string }) => ({ field: e.field ?? e.path ?? '', message: e.message ?? '' }));
}
