import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Global, Inject, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import type { Logger as Pino } from 'pino';
import { pinoHttp, type HttpLogger, type Options } from 'pino-http';
import { HTTP_LOGGER, PortraitLogger, requestLogger } from './portrait-logger.service.js';

/**
 * Logging for an app: one pino logger (`PortraitLogger` for Nest), and on HTTP apps a pino-http line
 * per request whose logger — with the request's id — every log written while serving it goes through.
 */
@Global()
@Module({})
export class LoggerModule implements NestModule {
  constructor(@Inject(HTTP_LOGGER) private readonly http: HttpLogger) {}

  static forRoot(options: Options): DynamicModule {
    return {
      module: LoggerModule,
      providers: [{ provide: HTTP_LOGGER, useFactory: () => pinoHttp(options) }, PortraitLogger],
      exports: [HTTP_LOGGER, PortraitLogger],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const http = this.http;
    consumer
      .apply((req: IncomingMessage & { log?: Pino }, res: ServerResponse, next: () => void) => {
        http(req, res);
        requestLogger.run(req.log ?? http.logger, next);
      })
      // Every path, the root included (path-to-regexp v8 syntax, as Express 5 and Fastify's middie read it).
      .forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}
