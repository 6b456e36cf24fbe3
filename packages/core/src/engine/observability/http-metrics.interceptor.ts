import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { MetricsService } from './metrics.service.js';

interface RequestLike {
  method?: string;
  url?: string;
  route?: { path?: string };
  routeOptions?: { url?: string };
}
interface ResponseLike {
  statusCode?: number;
}

/** Records every handled request in the latency histogram, labelled by route pattern (not raw URL). */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const route = request.routeOptions?.url ?? request.route?.path ?? 'unmatched';
    const end = this.metrics.httpDuration.startTimer({ method: request.method ?? 'GET', route });
    const finish = (status?: number) => end({ status_code: String(status ?? http.getResponse<ResponseLike>().statusCode ?? 200) });
    return next.handle().pipe(
      tap({
        next: () => finish(),
        error: (error: { status?: number; getStatus?: () => number }) => finish(error.getStatus?.() ?? error.status ?? 500),
      }),
    );
  }
}
