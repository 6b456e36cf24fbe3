import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { IntakeHealth } from '../../modules/intake/intake-health.js';
import { SegmentDestinationOutboxService, type PendingByConnection } from '../../modules/segments/segment-destination-outbox.service.js';
import { PORTRAIT_APP_NAME } from './observability.tokens.js';

interface PgPoolLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * One Prometheus registry per process: process metrics, HTTP latency, database pool, the intake log's
 * backlog and lag, the segment push outbox's pending members and oldest change per destination.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(PORTRAIT_APP_NAME) appName: string,
    intake: IntakeHealth,
    outbox: SegmentDestinationOutboxService,
  ) {
    this.registry.setDefaultLabels({ app: appName });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by method, route and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    const pool = () => (this.dataSource.driver as unknown as { master?: PgPoolLike }).master;
    new Gauge({
      name: 'portrait_db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: 'total' }, p.totalCount);
        this.set({ state: 'idle' }, p.idleCount);
        this.set({ state: 'waiting' }, p.waitingCount);
      },
    });
    // The log is shared by every process: each one reports it (read when scraped), whichever drains it.
    let reading: Promise<{ messages: number; lagSeconds: number }> | undefined;
    const intakeState = () => (reading ??= intake.state().finally(() => (reading = undefined)));
    new Gauge({
      name: 'portrait_intake_backlog_messages',
      help: 'Tracking messages accepted into the intake log and not yet ingested into profiles',
      registers: [this.registry],
      async collect() {
        this.set((await intakeState()).messages);
      },
    });
    new Gauge({
      name: 'portrait_intake_lag_seconds',
      help: 'Age of the oldest tracking message waiting in the intake log (0 when none waits)',
      registers: [this.registry],
      async collect() {
        this.set((await intakeState()).lagSeconds);
      },
    });

    // The push outbox too is shared: each process reports every connection with pushes waiting.
    let pendingRead: Promise<PendingByConnection[]> | undefined;
    const pending = () => (pendingRead ??= outbox.pendingByConnection().finally(() => (pendingRead = undefined)));
    const connection = (p: PendingByConnection) => ({ workspace: p.workspaceId, segment: p.segmentId, destination: p.sourceId });
    new Gauge({
      name: 'portrait_segment_destination_pending_members',
      help: 'Members of a segment whose change is not yet confirmed by a destination (source) connected to it',
      labelNames: ['workspace', 'segment', 'destination'],
      registers: [this.registry],
      async collect() {
        const found = await pending();
        this.reset();
        for (const p of found) this.set(connection(p), p.members);
      },
    });
    new Gauge({
      name: 'portrait_segment_destination_oldest_pending_seconds',
      help: 'Age of the oldest change of a segment waiting to be pushed to a destination (source) connected to it',
      labelNames: ['workspace', 'segment', 'destination'],
      registers: [this.registry],
      async collect() {
        const found = await pending();
        this.reset();
        for (const p of found) this.set(connection(p), p.oldestSeconds);
      },
    });
  }

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
