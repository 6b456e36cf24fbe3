import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthIndicatorFunction, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { IntakeHealth } from '../../modules/intake/intake-health.js';
import { MetricsService } from './metrics.service.js';
import { RedisHealthIndicator } from './redis-health.indicator.js';

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly metrics: MetricsService,
    private readonly indicator: HealthIndicatorService,
    private readonly intake: IntakeHealth,
  ) {}

  /** The process is up. */
  @Get('healthz')
  @HealthCheck()
  liveness() {
    return this.health.check([]);
  }

  /** The process can serve: the database answers, Redis too when configured, and the intake processor is not stuck. */
  @Get('readyz')
  @HealthCheck()
  readiness() {
    const checks: HealthIndicatorFunction[] = [() => this.database.pingCheck('database', { timeout: 3000 })];
    if (this.redis.configured) checks.push(() => this.redis.check('redis'));
    checks.push(() => this.intakeCheck());
    return this.health.check(checks);
  }

  /** Down when the oldest tracking message waits longer than the threshold and no batch was drained for as long. */
  private async intakeCheck() {
    const check = this.indicator.check('intake');
    const state = await this.intake.state();
    const details = { backlog: state.messages, lagSeconds: Math.round(state.lagSeconds) };
    return state.stuck ? check.down({ ...details, message: 'the intake processor is stuck: no batch drained while messages wait' }) : check.up(details);
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  prometheus(): Promise<string> {
    return this.metrics.metrics();
  }
}
